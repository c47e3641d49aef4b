/**
 * PostgreSQL for cross-package tests: `LOCI_TEST_PG_URL` when set (a full PostgreSQL with pgvector),
 * otherwise PGlite (PostgreSQL in WASM with pgvector and pg_textsearch) served on 127.0.0.1 for the
 * test file. Call {@link usePostgres} at the top of a test file.
 */
import { type PgliteServer, startPgliteServer } from "@loci/engine/testing";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";

/** The database of one test file. */
export interface TestPostgres {
  /** The connection string (valid once the file's `beforeAll` ran). */
  readonly url: string;
  /** Drops every schema a Loci server created: `loci_system` and the tenant schemas `t_*`. */
  reset(): Promise<void>;
  /** Drops one schema. */
  dropSchema(schema: string): Promise<void>;
}

/** Registers the hooks that start (and stop) the database of this test file. */
export function usePostgres(): TestPostgres {
  let url = "";
  let server: PgliteServer | null = null;
  beforeAll(async () => {
    if (process.env.LOCI_TEST_PG_URL) url = process.env.LOCI_TEST_PG_URL;
    else {
      server = await startPgliteServer();
      url = server.url;
    }
  });
  afterAll(async () => server?.stop());
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  return {
    get url() {
      return url;
    },
    reset: () =>
      admin(async (c) => {
        const { rows } = await c.query<{ nspname: string }>(
          "SELECT nspname FROM pg_namespace WHERE nspname = 'loci_system' OR nspname LIKE 't\\_%'",
        );
        for (const r of rows) await c.query(`DROP SCHEMA "${r.nspname}" CASCADE`);
      }),
    dropSchema: (schema) =>
      admin(async (c) => {
        await c.query(`DROP SCHEMA IF EXISTS "${schema.replaceAll('"', '""')}" CASCADE`);
      }),
  };
}
