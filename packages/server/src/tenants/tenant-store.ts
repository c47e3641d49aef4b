/**
 * Tenants (`<dataDir>/system/tenants.db`): each has its own data directory
 * (`<dataDir>/tenants/<name>/`) and a random 256-bit data key, stored only wrapped by the master key.
 * During a key rotation the previous wrapped key is kept until every file is re-encrypted.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ConflictError, LociError } from "@loci/engine";
import Database from "better-sqlite3-multiple-ciphers";
import { unwrapKey, wrapKey } from "./master-key.js";

/** A tenant as listed. */
export interface TenantInfo {
  name: string;
  /** Whether the tenant's databases are encrypted with its data key. */
  encrypted: boolean;
  createdAt: string;
  /** Incremented by every key rotation. */
  keyVersion: number;
}

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

/** The tenant registry. */
export class TenantStore {
  readonly #db: Database.Database;
  readonly #master: Buffer;

  constructor(opts: { dataDir: string; masterKey: Buffer }) {
    const dir = join(opts.dataDir, "system");
    mkdirSync(dir, { recursive: true });
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

  /**
   * Creates a tenant with a fresh data key (`encrypted: false` registers existing plaintext data).
   * @throws ALREADY_EXISTS
   */
  create(name: string, now: number, opts: { encrypted?: boolean } = {}): TenantInfo {
    const wrapped =
      opts.encrypted === false ? null : wrapKey(this.#master, randomBytes(32), `tenant ${name}`);
    const info = this.#db
      .prepare(
        "INSERT INTO tenants (name, wrapped_key, key_version, created_at) VALUES (?, ?, 1, ?) ON CONFLICT DO NOTHING",
      )
      .run(name, wrapped, now);
    if (info.changes === 0)
      throw new ConflictError({ code: "ALREADY_EXISTS", message: `tenant "${name}" already exists` });
    return this.get(name)!;
  }

  get(name: string): TenantInfo | null {
    const r = this.#row(name);
    return r ? toInfo(r) : null;
  }

  list(): TenantInfo[] {
    return this.#rows().map(toInfo);
  }

  /** The tenant's current data key and, during a rotation, the previous one (`null`: plaintext tenant). */
  keys(name: string): { current: Buffer; previous: Buffer[] } | null {
    const r = this.#row(name);
    if (!r) throw new LociError({ code: "NOT_FOUND", message: `no tenant "${name}"` });
    if (!r.wrapped_key) return null;
    const ctx = `tenant ${name}`;
    return {
      current: unwrapKey(this.#master, r.wrapped_key, ctx),
      previous: r.previous_key ? [unwrapKey(this.#master, r.previous_key, ctx)] : [],
    };
  }

  /** Starts a rotation: records a new data key, keeping the old one until {@link finishRotation}. */
  beginRotation(name: string): Buffer {
    const r = this.#row(name);
    if (!r) throw new LociError({ code: "NOT_FOUND", message: `no tenant "${name}"` });
    if (!r.wrapped_key)
      throw new LociError({ code: "INVALID_ARGUMENT", message: `tenant "${name}" is not encrypted` });
    const next = randomBytes(32);
    this.#db
      .prepare(
        "UPDATE tenants SET previous_key = wrapped_key, wrapped_key = ?, key_version = key_version + 1 WHERE name = ?",
      )
      .run(wrapKey(this.#master, next, `tenant ${name}`), name);
    return next;
  }

  /** Forgets the previous key once every file is re-encrypted. */
  finishRotation(name: string): void {
    this.#db.prepare("UPDATE tenants SET previous_key = NULL WHERE name = ?").run(name);
  }

  /** Deletes a tenant's key record: its data can never be decrypted again. */
  delete(name: string): boolean {
    return this.#db.prepare("DELETE FROM tenants WHERE name = ?").run(name).changes > 0;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
