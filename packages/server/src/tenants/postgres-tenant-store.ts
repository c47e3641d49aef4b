/**
 * Tenants on a shared PostgreSQL database: the registry is `loci_system.tenants`, and each tenant's
 * data lives in its own schema (`t_<random hex>`, never derived from the tenant name), which its
 * engine's {@link PostgresDriver} never leaves. A key belongs to one tenant and the server opens the
 * engine from the key alone, so no request can reach another tenant's schema. Encryption at rest is
 * the database's (managed PostgreSQL encrypts its storage); Loci holds no per-tenant key here.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { ConflictError, Loci, LociError, PostgresDriver } from "@loci/engine";
import type pg from "pg";
import { query, SYSTEM_SCHEMA } from "../system/postgres-system.js";
import { type EngineSettings, engineOptions, type TenantInfo, type TenantStore } from "./tenant-store.js";

interface Row {
  name: string;
  schema: string;
  key_version: number;
  created_at: number;
}

const T = `${SYSTEM_SCHEMA}.tenants`;
const toInfo = (r: Row): TenantInfo => ({
  name: r.name,
  encrypted: false,
  createdAt: new Date(r.created_at).toISOString(),
  keyVersion: r.key_version,
});

/** The tenant registry on PostgreSQL: one schema per tenant. */
export class PostgresTenantStore implements TenantStore {
  readonly kind = "postgres";
  readonly #pool: pg.Pool;
  readonly #maxConnections: number;
  readonly #snapshots: boolean;

  /**
   * `pool` is owned by the caller; every tenant's driver shares it. With `snapshots`, each tenant's
   * engine keeps its namespaces' index snapshots under its own directory (`<dataDir>/tenants/<name>/indexes`).
   */
  constructor(opts: { pool: pg.Pool; maxConnections?: number; snapshots?: boolean }) {
    this.#pool = opts.pool;
    this.#maxConnections = opts.maxConnections ?? 10;
    this.#snapshots = opts.snapshots ?? false;
  }

  async #row(name: string): Promise<Row | undefined> {
    return (await query<Row>(this.#pool, `SELECT * FROM ${T} WHERE name = $1`, [name]))[0];
  }

  async ensureDefault(_logger: unknown, now: number): Promise<void> {
    await query(
      this.#pool,
      `INSERT INTO ${T} (name, schema, key_version, created_at) VALUES ('default', 't_default', 1, $1)
       ON CONFLICT DO NOTHING`,
      [now],
    );
  }

  async create(name: string, now: number): Promise<TenantInfo> {
    const rows = await query<Row>(
      this.#pool,
      `INSERT INTO ${T} (name, schema, key_version, created_at) VALUES ($1, $2, 1, $3)
       ON CONFLICT DO NOTHING RETURNING *`,
      [name, `t_${randomBytes(8).toString("hex")}`, now],
    );
    if (!rows[0])
      throw new ConflictError({ code: "ALREADY_EXISTS", message: `tenant "${name}" already exists` });
    return toInfo(rows[0]);
  }

  async get(name: string): Promise<TenantInfo | null> {
    const r = await this.#row(name);
    return r ? toInfo(r) : null;
  }

  async list(): Promise<TenantInfo[]> {
    return (await query<Row>(this.#pool, `SELECT * FROM ${T} ORDER BY name`)).map(toInfo);
  }

  async open(name: string, s: EngineSettings): Promise<Loci> {
    const r = await this.#row(name);
    if (!r) throw new LociError({ code: "NOT_FOUND", message: `no tenant "${name}"` });
    return Loci.open({
      ...engineOptions(name, s),
      storage: new PostgresDriver({
        pool: this.#pool,
        schema: r.schema,
        maxConnections: this.#maxConnections,
        // The engine's tenant directory is locked to it: one snapshot directory per process.
        ...(this.#snapshots ? { snapshotDir: join(s.dataDir, "tenants", name, "indexes") } : {}),
      }),
    });
  }

  async rekey(name: string): Promise<TenantInfo> {
    throw new LociError({
      code: "INVALID_ARGUMENT",
      message: `tenant "${name}" lives in PostgreSQL, which encrypts it at rest: rotate keys in the database`,
    });
  }

  /** Deletes the tenant's record and drops its schema with all its data. */
  async delete(name: string): Promise<boolean> {
    const client = await this.#pool.connect();
    try {
      await client.query("BEGIN");
      const { rows } = await client.query<{ schema: string }>(
        `DELETE FROM ${T} WHERE name = $1 RETURNING schema`,
        [name],
      );
      if (rows[0]) await client.query(`DROP SCHEMA IF EXISTS "${rows[0].schema}" CASCADE`);
      await client.query("COMMIT");
      return rows.length > 0;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {}
}
