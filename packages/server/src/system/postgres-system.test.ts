import { type PgliteServer, startPgliteServer } from "@loci/engine/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateSystem, SYSTEM_SCHEMA } from "./postgres-system.js";

let server: PgliteServer | null = null;
let pool: pg.Pool;

beforeAll(async () => {
  let url = process.env.LOCI_TEST_PG_URL;
  if (!url) {
    server = await startPgliteServer();
    url = server.url;
  }
  pool = new pg.Pool({ connectionString: url, max: 4 });
  await pool.query(`DROP SCHEMA IF EXISTS ${SYSTEM_SCHEMA} CASCADE`);
});
afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS ${SYSTEM_SCHEMA} CASCADE`);
  await pool.end();
  await server?.stop();
});

describe("system schema migrations", () => {
  it("apply once, also when servers start together, and refuse a newer schema", async () => {
    await Promise.all([migrateSystem(pool), migrateSystem(pool), migrateSystem(pool)]);
    const versions = await pool.query(
      `SELECT version FROM ${SYSTEM_SCHEMA}.schema_migrations ORDER BY version`,
    );
    expect(versions.rows.map((r) => r.version)).toEqual([1]);
    await pool.query(`INSERT INTO ${SYSTEM_SCHEMA}.keys (id, tenant, name, role, scopes, hash, created_at)
      VALUES ('k', 'default', 'n', 'scoped', '[]', 'h', 1)`);
    await migrateSystem(pool); // idempotent: data kept
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${SYSTEM_SCHEMA}.keys`)).rows[0].n).toBe(1);

    await pool.query(`INSERT INTO ${SYSTEM_SCHEMA}.schema_migrations VALUES (99, 0)`);
    await expect(migrateSystem(pool)).rejects.toThrow(/version 99, newer than this server knows/);
  });
});
