/**
 * The server's own tables in a shared PostgreSQL database (schema `loci_system`): API keys and the
 * tenant registry, so that every stateless server behind a load balancer sees the same keys and
 * tenants at once. Created on first start in one transaction under an advisory lock, so servers
 * starting together do not race; idempotent.
 *
 * @module
 */
import pg from "pg";

/** The schema holding the server's tables. */
export const SYSTEM_SCHEMA = "loci_system";
/** Advisory lock key of the system migration (distinct from the engine driver's). */
const LOCK = [0x6c6f6369, 2] as const;

const DDL = [
  `CREATE SCHEMA IF NOT EXISTS ${SYSTEM_SCHEMA}`,
  `CREATE TABLE IF NOT EXISTS ${SYSTEM_SCHEMA}.keys (
    id text PRIMARY KEY, tenant text NOT NULL, name text NOT NULL, role text NOT NULL, scopes text NOT NULL,
    hash text NOT NULL, created_at bigint NOT NULL, expires_at bigint, revoked_at bigint)`,
  `CREATE INDEX IF NOT EXISTS keys_tenant ON ${SYSTEM_SCHEMA}.keys (tenant)`,
  `CREATE TABLE IF NOT EXISTS ${SYSTEM_SCHEMA}.tenants (
    name text PRIMARY KEY, schema text NOT NULL UNIQUE, key_version integer NOT NULL, created_at bigint NOT NULL)`,
];

/** `bigint` columns parse as numbers (epoch ms stays far below 2^53). */
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === 20) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format ?? "text");
  },
} as pg.CustomTypesConfig;

/** Runs one statement on the pool with number-parsed bigints. */
export async function query<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  return (await pool.query<R>({ text, values, types })).rows;
}

/** Creates the system schema and tables if missing. */
export async function migrateSystem(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1, $2)", [...LOCK]);
    for (const sql of DDL) await client.query(sql);
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
