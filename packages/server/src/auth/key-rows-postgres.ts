/** API-key rows in the shared PostgreSQL database (`loci_system.keys`), seen by every server at once. */
import type pg from "pg";
import { query, SYSTEM_SCHEMA } from "../system/postgres-system.js";
import type { KeyRow, KeyRows } from "./key-store.js";

const T = `${SYSTEM_SCHEMA}.keys`;

/** {@link KeyRows} in PostgreSQL (the pool is owned by the caller). */
export class PostgresKeyRows implements KeyRows {
  readonly #pool: pg.Pool;

  constructor(opts: { pool: pg.Pool }) {
    this.#pool = opts.pool;
  }

  async get(id: string): Promise<KeyRow | undefined> {
    return (await query<KeyRow>(this.#pool, `SELECT * FROM ${T} WHERE id = $1`, [id]))[0];
  }

  async insert(r: KeyRow): Promise<void> {
    await query(
      this.#pool,
      `INSERT INTO ${T} (id, tenant, name, role, scopes, hash, created_at, expires_at, revoked_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [r.id, r.tenant, r.name, r.role, r.scopes, r.hash, r.created_at, r.expires_at, r.revoked_at],
    );
  }

  async upsertRoot(hash: string, now: number): Promise<void> {
    await query(
      this.#pool,
      `INSERT INTO ${T} (id, tenant, name, role, scopes, hash, created_at) VALUES ('root', 'default', 'root', 'root', '[]', $1, $2)
       ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, revoked_at = NULL`,
      [hash, now],
    );
  }

  async listTenant(tenant: string): Promise<KeyRow[]> {
    return query<KeyRow>(
      this.#pool,
      `SELECT * FROM ${T} WHERE tenant = $1 AND id <> 'root' ORDER BY created_at DESC, id`,
      [tenant],
    );
  }

  async revoke(id: string, now: number): Promise<void> {
    await query(this.#pool, `UPDATE ${T} SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, [
      id,
      now,
    ]);
  }

  async revokeTenant(tenant: string, now: number): Promise<void> {
    await query(
      this.#pool,
      `UPDATE ${T} SET revoked_at = $2 WHERE tenant = $1 AND revoked_at IS NULL AND id <> 'root'`,
      [tenant, now],
    );
  }

  async close(): Promise<void> {}
}
