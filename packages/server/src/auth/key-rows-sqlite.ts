/** API-key rows in `<dataDir>/system/keys.db` (SQLite, WAL, synchronous=FULL). */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3-multiple-ciphers";
import type { KeyRow, KeyRows } from "./key-store.js";

/** {@link KeyRows} in a SQLite file of the server's data directory. */
export class SqliteKeyRows implements KeyRows {
  readonly #db: Database.Database;
  #byId: Database.Statement | null = null;

  constructor(opts: { dataDir: string }) {
    const dir = join(opts.dataDir, "system");
    mkdirSync(dir, { recursive: true });
    this.#db = new Database(join(dir, "keys.db"));
    this.#db.pragma("journal_mode = WAL");
    this.#db.pragma("synchronous = FULL");
    this.#db.exec(`CREATE TABLE IF NOT EXISTS keys (
      id TEXT PRIMARY KEY, tenant TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL, scopes TEXT NOT NULL,
      hash TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER, revoked_at INTEGER)`);
  }

  async get(id: string): Promise<KeyRow | undefined> {
    // Every authenticated request looks its key up: prepared once.
    this.#byId ??= this.#db.prepare("SELECT * FROM keys WHERE id = ?");
    return this.#byId.get(id) as KeyRow | undefined;
  }

  async insert(r: KeyRow): Promise<void> {
    this.#db
      .prepare(
        "INSERT INTO keys (id, tenant, name, role, scopes, hash, created_at, expires_at, revoked_at) VALUES (?,?,?,?,?,?,?,?,?)",
      )
      .run(r.id, r.tenant, r.name, r.role, r.scopes, r.hash, r.created_at, r.expires_at, r.revoked_at);
  }

  async upsertRoot(hash: string, now: number): Promise<void> {
    this.#db
      .prepare(
        `INSERT INTO keys (id, tenant, name, role, scopes, hash, created_at) VALUES ('root', 'default', 'root', 'root', '[]', ?, ?)
         ON CONFLICT(id) DO UPDATE SET hash = excluded.hash, revoked_at = NULL`,
      )
      .run(hash, now);
  }

  async listTenant(tenant: string): Promise<KeyRow[]> {
    return this.#db
      .prepare("SELECT * FROM keys WHERE tenant = ? AND id != 'root' ORDER BY created_at DESC, id")
      .all(tenant) as KeyRow[];
  }

  async revoke(id: string, now: number): Promise<void> {
    this.#db.prepare("UPDATE keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").run(now, id);
  }

  async revokeTenant(tenant: string, now: number): Promise<void> {
    this.#db
      .prepare("UPDATE keys SET revoked_at = ? WHERE tenant = ? AND revoked_at IS NULL AND id != 'root'")
      .run(now, tenant);
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
