/**
 * Tenants of the embedded default (`<dataDir>/system/tenants.db`): each has its own data directory
 * (`<dataDir>/tenants/<name>/`) and a random 256-bit data key, stored only wrapped by the master key.
 * During a key rotation the previous wrapped key is kept until every file is re-encrypted.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Checkpointer, ConflictError, Loci, LociError } from "@loci/engine";
import Database from "better-sqlite3-multiple-ciphers";
import type { Logger } from "pino";
import { unwrapKey, wrapKey } from "./master-key.js";
import { type EngineSettings, engineOptions, type TenantInfo, type TenantStore } from "./tenant-store.js";

interface Row {
  name: string;
  /** `null` for a plaintext tenant (data created before encryption, kept readable). */
  wrapped_key: string | null;
  previous_key: string | null;
  key_version: number;
  created_at: number;
}

function toInfo(r: Row): TenantInfo {
  return {
    name: r.name,
    encrypted: r.wrapped_key !== null,
    createdAt: new Date(r.created_at).toISOString(),
    keyVersion: r.key_version,
  };
}

/** Whether a tenant directory holds plaintext (unencrypted) SQLite data. */
function hasPlaintextData(tenantDir: string): boolean {
  const file = join(tenantDir, "catalog.db");
  if (!existsSync(file)) return false;
  const fd = openSync(file, "r");
  try {
    const head = Buffer.alloc(16);
    readSync(fd, head, 0, 16, 0);
    return head.toString("latin1", 0, 15) === "SQLite format 3";
  } finally {
    closeSync(fd);
  }
}

const notFound = (name: string) => new LociError({ code: "NOT_FOUND", message: `no tenant "${name}"` });

/** The tenant registry of the embedded default: a directory and an encryption key per tenant. */
export class SqliteTenantStore implements TenantStore {
  readonly kind = "sqlite";
  readonly #db: Database.Database;
  readonly #master: Buffer;
  readonly #dataDir: string;
  /** One WAL checkpoint worker for every tenant's namespace files (instead of one per tenant). */
  readonly #checkpointer: Checkpointer;

  /** `logger` receives a warning for every failed WAL checkpoint. */
  constructor(opts: { dataDir: string; masterKey: Buffer; logger?: Logger }) {
    this.#checkpointer = new Checkpointer({
      onError: (f) => opts.logger?.warn({ file: f.file, err: f.message }, "WAL checkpoint failed"),
    });
    const dir = join(opts.dataDir, "system");
    mkdirSync(dir, { recursive: true });
    this.#dataDir = opts.dataDir;
    this.#master = opts.masterKey;
    this.#db = new Database(join(dir, "tenants.db"));
    this.#db.pragma("journal_mode = WAL");
    this.#db.pragma("synchronous = FULL");
    this.#db.exec(`CREATE TABLE IF NOT EXISTS tenants (
      name TEXT PRIMARY KEY, wrapped_key TEXT, previous_key TEXT, key_version INTEGER NOT NULL,
      created_at INTEGER NOT NULL)`);
    // Fail fast on a wrong master key, before any tenant is served.
    for (const row of this.#rows()) {
      if (row.wrapped_key) unwrapKey(this.#master, row.wrapped_key, `tenant ${row.name}`);
    }
  }

  #rows(): Row[] {
    return this.#db.prepare("SELECT * FROM tenants ORDER BY name").all() as Row[];
  }

  #row(name: string): Row | undefined {
    return this.#db.prepare("SELECT * FROM tenants WHERE name = ?").get(name) as Row | undefined;
  }

  async ensureDefault(logger: Logger, now: number): Promise<void> {
    if (this.#row("default")) return;
    const plaintext = hasPlaintextData(join(this.#dataDir, "tenants", "default"));
    if (plaintext)
      logger.warn(
        "tenant 'default' holds unencrypted data from before; it stays unencrypted (export and import it into a new tenant to encrypt it)",
      );
    this.#insert("default", now, !plaintext);
  }

  #insert(name: string, now: number, encrypted: boolean): TenantInfo {
    const wrapped = encrypted ? wrapKey(this.#master, randomBytes(32), `tenant ${name}`) : null;
    const info = this.#db
      .prepare(
        "INSERT INTO tenants (name, wrapped_key, key_version, created_at) VALUES (?, ?, 1, ?) ON CONFLICT DO NOTHING",
      )
      .run(name, wrapped, now);
    if (info.changes === 0)
      throw new ConflictError({ code: "ALREADY_EXISTS", message: `tenant "${name}" already exists` });
    return toInfo(this.#row(name)!);
  }

  /** Creates a tenant with a fresh data key. @throws ALREADY_EXISTS */
  async create(name: string, now: number): Promise<TenantInfo> {
    return this.#insert(name, now, true);
  }

  async get(name: string): Promise<TenantInfo | null> {
    const r = this.#row(name);
    return r ? toInfo(r) : null;
  }

  async list(): Promise<TenantInfo[]> {
    return this.#rows().map(toInfo);
  }

  /** The tenant's current data key and, during a rotation, the previous one (`null`: plaintext tenant). */
  keys(name: string): { current: Buffer; previous: Buffer[] } | null {
    const r = this.#row(name);
    if (!r) throw notFound(name);
    if (!r.wrapped_key) return null;
    const ctx = `tenant ${name}`;
    return {
      current: unwrapKey(this.#master, r.wrapped_key, ctx),
      previous: r.previous_key ? [unwrapKey(this.#master, r.previous_key, ctx)] : [],
    };
  }

  async open(name: string, s: EngineSettings): Promise<Loci> {
    const keys = this.keys(name);
    return Loci.open({
      ...engineOptions(name, s),
      checkpointer: this.#checkpointer,
      ...(keys ? { encryptionKey: keys.current, previousEncryptionKeys: keys.previous } : {}),
    });
  }

  /** Records a new data key (keeping the old one while files are re-encrypted), re-keys, then forgets the old key. */
  async rekey(name: string, engine: Loci): Promise<TenantInfo> {
    const r = this.#row(name);
    if (!r) throw notFound(name);
    if (!r.wrapped_key)
      throw new LociError({ code: "INVALID_ARGUMENT", message: `tenant "${name}" is not encrypted` });
    const next = randomBytes(32);
    this.#db
      .prepare(
        "UPDATE tenants SET previous_key = wrapped_key, wrapped_key = ?, key_version = key_version + 1 WHERE name = ?",
      )
      .run(wrapKey(this.#master, next, `tenant ${name}`), name);
    await engine.rekey(next);
    this.#db.prepare("UPDATE tenants SET previous_key = NULL WHERE name = ?").run(name);
    return toInfo(this.#row(name)!);
  }

  /** Deletes a tenant's key record (its data can never be decrypted again) and its directory. */
  async delete(name: string, s: EngineSettings): Promise<boolean> {
    if (this.#db.prepare("DELETE FROM tenants WHERE name = ?").run(name).changes === 0) return false;
    rmSync(join(s.dataDir, "tenants", name), { recursive: true, force: true });
    return true;
  }

  /** Failed WAL checkpoints since the store opened (the `loci_checkpoint_failures_total` metric). */
  checkpointFailures(): number {
    return this.#checkpointer.failures;
  }

  async close(): Promise<void> {
    await this.#checkpointer.close();
    if (this.#db.open) this.#db.close();
  }
}
