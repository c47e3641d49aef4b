/**
 * The server's own tables in a shared PostgreSQL database (schema `loci_system`): API keys and the
 * tenant registry, so that every stateless server behind a load balancer sees the same keys and
 * tenants at once. Versioned migrations (`schema_migrations`), applied on start in one transaction
 * under an advisory lock, so servers starting together do not race; idempotent.
 *
 * @module
 */
import pg from "pg";

/** The schema holding the server's tables. */
export const SYSTEM_SCHEMA = "loci_system";
/** Advisory lock key of the system migration (distinct from the engine driver's). */
const LOCK = [0x6c6f6369, 2] as const;

/** Versioned migrations of the system schema: append, never edit. */
const MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE ${SYSTEM_SCHEMA}.keys (
      id text PRIMARY KEY, tenant text NOT NULL, name text NOT NULL, role text NOT NULL, scopes text NOT NULL,
      hash text NOT NULL, created_at bigint NOT NULL, expires_at bigint, revoked_at bigint)`,
    `CREATE INDEX keys_tenant ON ${SYSTEM_SCHEMA}.keys (tenant)`,
    `CREATE TABLE ${SYSTEM_SCHEMA}.tenants (
      name text PRIMARY KEY, schema text NOT NULL UNIQUE, key_version integer NOT NULL, created_at bigint NOT NULL)`,
  ],
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

/**
 * Creates the system schema and applies the migrations it lacks, in one transaction under an advisory
 * lock (servers starting together wait for each other; each migration runs once). A schema migrated by
 * a newer server is refused rather than written with an older layout.
 */
export async function migrateSystem(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1, $2)", [...LOCK]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${SYSTEM_SCHEMA}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${SYSTEM_SCHEMA}.schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)`,
    );
    const { rows } = await client.query<{ v: number | null }>(
      `SELECT max(version) AS v FROM ${SYSTEM_SCHEMA}.schema_migrations`,
    );
    const current = rows[0]?.v ?? 0;
    if (current > MIGRATIONS.length) {
      throw new Error(
        `the ${SYSTEM_SCHEMA} schema is at version ${current}, newer than this server knows (${MIGRATIONS.length}): upgrade the server`,
      );
    }
    for (let v = current + 1; v <= MIGRATIONS.length; v++) {
      for (const sql of MIGRATIONS[v - 1]!) await client.query(sql);
      await client.query(
        `INSERT INTO ${SYSTEM_SCHEMA}.schema_migrations (version, applied_at) VALUES ($1, $2)`,
        [v, Date.now()],
      );
    }
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
