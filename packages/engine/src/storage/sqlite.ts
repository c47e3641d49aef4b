/**
 * The SQLite storage driver (better-sqlite3-multiple-ciphers).
 *
 * Layout under the tenant directory:
 * ```
 * catalog.db                   namespaces: name → file id, description, config
 * namespaces/<file-id>.db      one WAL-mode database per namespace (its own write-ahead log)
 * indexes/<file-id>/           derived index snapshots (safe to delete: rebuilt from the database)
 * ```
 * Namespace names never become paths: files are named by a random id recorded in the catalog.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3-multiple-ciphers";
import { ConflictError, NotFoundError, StorageError, ValidationError } from "../errors.js";
import { snapshotKeyOf } from "../index/snapshot-cipher.js";
import type { NamespaceConfig } from "../types.js";
import type { NamespaceRecord, NamespaceStore, StorageDriver } from "./driver.js";
import { Checkpointer, FALLBACK_AUTOCHECKPOINT_PAGES } from "./sqlite-checkpointer.js";
import { SqliteNamespaceStore } from "./sqlite-namespace.js";

/** Options of {@link SqliteDriver}. */
export interface SqliteDriverOptions {
  /** The tenant directory (created if missing). */
  dir: string;
  /**
   * SQLite `synchronous` setting. `"FULL"` syncs the WAL on every commit, so an acknowledged write
   * survives power loss; `"NORMAL"` survives a process crash but may lose the last commits on power loss.
   * @default "FULL"
   */
  synchronous?: "FULL" | "NORMAL";
  /**
   * A 32-byte key: every database file (catalog and namespaces, their WAL included) is encrypted
   * with it (SQLite3MultipleCiphers, ChaCha20-Poly1305). ANN snapshots are then stored encrypted
   * (AES-256-GCM, a key derived from this one), their plaintext passing only through RAM (`/dev/shm`);
   * where the system has no such directory none are written and the ANN index is rebuilt on open.
   */
  encryptionKey?: Buffer;
  /** Older keys tried when `encryptionKey` does not open a file (a file opened so is re-keyed). */
  previousKeys?: readonly Buffer[];
  /**
   * Page cache per namespace database, in MiB (SQLite `cache_size`; pages are cached as they are
   * read, so a small namespace holds little). Searches read the winners' rows and the vectors of
   * candidates found by one side only; with encryption every page read from the file is decrypted,
   * so the cache saves most of a search's storage time once the hot pages are in it.
   * @default 64
   */
  pageCacheMiB?: number;
  /**
   * Where WAL checkpoints of namespace files run: `"background"` in a worker thread (writes only mark
   * their file; see `sqlite-checkpointer.ts`), `"inline"` inside the commit that crosses SQLite's
   * threshold, as SQLite does by default. @default "background"
   */
  checkpoints?: "background" | "inline";
  /** How soon after a write its file's background checkpoint runs, in ms. @default 200 */
  checkpointIntervalMs?: number;
  /**
   * A checkpoint worker shared with other drivers (one thread for every tenant of a server instead of
   * one per driver). The driver releases its files on close but leaves the worker running.
   */
  checkpointer?: Checkpointer;
}

/** How a database connection is configured. */
interface DatabaseSettings {
  synchronous: "FULL" | "NORMAL";
  pageCacheMiB: number;
}

interface CatalogRow {
  name: string;
  file_id: string;
  description: string;
  config: string;
  created_at: number;
  updated_at: number;
}

/** Sets the WAL pragmas; the first statement also proves the key (SQLITE_NOTADB otherwise). */
function configure(db: Database.Database, settings: DatabaseSettings): void {
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${settings.synchronous}`);
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = ON");
  db.pragma(`cache_size = -${Math.round(settings.pageCacheMiB * 1024)}`);
  const mode = db.pragma("journal_mode", { simple: true });
  if (mode !== "wal") throw new Error(`journal_mode is ${String(mode)}, expected wal`);
}

/** Re-encrypts an open database with `key` (rekey needs a rollback journal, then WAL again). */
function rekeyDatabase(db: Database.Database, key: Buffer): void {
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.pragma("journal_mode = DELETE");
  db.rekey(key);
  db.pragma("journal_mode = WAL");
}

/**
 * Opens a database with the first of `keys` that fits (none: plaintext). A file opened with an older
 * key is re-encrypted with the current one (`keys[0]`), so an interrupted key rotation heals itself.
 */
function openDatabase(file: string, settings: DatabaseSettings, keys: readonly Buffer[]): Database.Database {
  const attempts: (Buffer | null)[] = keys.length > 0 ? [...keys] : [null];
  for (const [i, key] of attempts.entries()) {
    let db: Database.Database | null = null;
    try {
      db = new Database(file);
      if (key) db.key(key);
      configure(db, settings);
      if (i > 0 && keys[0]) rekeyDatabase(db, keys[0]);
      return db;
    } catch (err) {
      db?.close();
      const notADb = (err as { code?: string }).code === "SQLITE_NOTADB";
      if (notADb && i < attempts.length - 1) continue;
      throw new StorageError({
        message: notADb
          ? `cannot open ${file}: ${keys.length ? "wrong encryption key" : "the file is encrypted (or not a database)"}`
          : `cannot open database ${file}: ${(err as Error).message}`,
        details: notADb ? { reason: keys.length ? "wrong_key" : "encrypted" } : {},
        cause: err,
      });
    }
  }
  throw new StorageError({ message: `cannot open ${file}` });
}

/** A {@link StorageDriver} keeping one SQLite file per namespace. */
export class SqliteDriver implements StorageDriver {
  readonly kind = "sqlite";
  readonly #dir: string;
  readonly #settings: DatabaseSettings;
  #keys: Buffer[];
  /** The key index snapshots are encrypted under (derived from the current tenant key). */
  #snapshotKey: Buffer | null;
  readonly #catalog: Database.Database;
  /** The catalog lookup by name (on every request's namespace check). */
  #byName: Database.Statement | null = null;
  readonly #open = new Map<string, SqliteNamespaceStore>();
  readonly #checkpointer: Checkpointer | null;
  /** Whether this driver made its checkpointer (and closes it), or was given a shared one. */
  readonly #ownCheckpointer: boolean;
  readonly #unlisten: (() => void) | null;

  constructor(opts: SqliteDriverOptions) {
    this.#dir = opts.dir;
    const pageCacheMiB = opts.pageCacheMiB ?? 64;
    if (!(Number.isFinite(pageCacheMiB) && pageCacheMiB > 0)) {
      throw new ValidationError({
        message: "pageCacheMiB must be a positive number",
        details: { field: "pageCacheMiB" },
      });
    }
    this.#settings = { synchronous: opts.synchronous ?? "FULL", pageCacheMiB };
    for (const k of [opts.encryptionKey, ...(opts.previousKeys ?? [])]) {
      if (k !== undefined && (!Buffer.isBuffer(k) || k.length !== 32)) {
        throw new ValidationError({
          message: "encryption keys must be 32-byte Buffers",
          details: { field: "encryptionKey" },
        });
      }
    }
    this.#keys = opts.encryptionKey ? [opts.encryptionKey, ...(opts.previousKeys ?? [])] : [];
    this.#snapshotKey = this.#keys[0] ? snapshotKeyOf(this.#keys[0]) : null;
    mkdirSync(join(this.#dir, "namespaces"), { recursive: true });
    mkdirSync(join(this.#dir, "indexes"), { recursive: true });
    this.#catalog = openDatabase(join(this.#dir, "catalog.db"), this.#settings, this.#keys);
    this.#catalog.exec(`CREATE TABLE IF NOT EXISTS namespaces (
      name TEXT PRIMARY KEY, file_id TEXT NOT NULL UNIQUE, description TEXT NOT NULL,
      config TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`);
    this.#removeOrphans();
    this.#ownCheckpointer = opts.checkpoints !== "inline" && !opts.checkpointer;
    this.#checkpointer =
      opts.checkpoints === "inline"
        ? null
        : (opts.checkpointer ??
          new Checkpointer(
            opts.checkpointIntervalMs !== undefined ? { intervalMs: opts.checkpointIntervalMs } : {},
          ));
    this.#unlisten =
      this.#checkpointer?.onFailure(() => {
        for (const store of this.#open.values()) {
          if (store.database.open) store.database.pragma("wal_autocheckpoint = 1000");
        }
      }) ?? null;
  }

  #file(fileId: string): string {
    return join(this.#dir, "namespaces", `${fileId}.db`);
  }

  /**
   * Runs the pending background WAL checkpoints now and resolves when they are done (a no-op with
   * `checkpoints: "inline"`). Writes never need it: a committed write is durable in the WAL.
   */
  async checkpoint(): Promise<void> {
    await this.#checkpointer?.checkpoint();
  }

  /** Deletes namespace files left behind by a crash between a catalog delete and the file removal. */
  #removeOrphans(): void {
    const known = new Set(
      (this.#catalog.prepare("SELECT file_id FROM namespaces").pluck().all() as string[]).map(String),
    );
    for (const sub of ["namespaces", "indexes"]) {
      for (const entry of readdirSync(join(this.#dir, sub))) {
        const fileId = entry.replace(/\.db(-wal|-shm)?$/, "");
        if (!known.has(fileId)) rmSync(join(this.#dir, sub, entry), { recursive: true, force: true });
      }
    }
  }

  #row(name: string): CatalogRow | undefined {
    this.#byName ??= this.#catalog.prepare("SELECT * FROM namespaces WHERE name = ?");
    return this.#byName.get(name) as CatalogRow | undefined;
  }

  async createNamespace(record: NamespaceRecord): Promise<void> {
    const info = this.#catalog
      .prepare(
        `INSERT INTO namespaces (name, file_id, description, config, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO NOTHING`,
      )
      .run(
        record.name,
        randomUUID(),
        record.description,
        JSON.stringify(record.config),
        record.createdAt,
        record.updatedAt,
      );
    if (info.changes === 0) {
      throw new ConflictError({
        code: "ALREADY_EXISTS",
        message: `namespace "${record.name}" already exists`,
      });
    }
  }

  async getNamespace(name: string): Promise<NamespaceRecord | null> {
    const row = this.#row(name);
    return row ? toNamespaceRecord(row) : null;
  }

  async listNamespaces(): Promise<NamespaceRecord[]> {
    const rows = this.#catalog.prepare("SELECT * FROM namespaces ORDER BY name").all() as CatalogRow[];
    return rows.map(toNamespaceRecord);
  }

  async updateNamespace(record: NamespaceRecord): Promise<void> {
    const info = this.#catalog
      .prepare("UPDATE namespaces SET description = ?, config = ?, updated_at = ? WHERE name = ?")
      .run(record.description, JSON.stringify(record.config), record.updatedAt, record.name);
    if (info.changes === 0) {
      throw new NotFoundError({
        code: "NAMESPACE_NOT_FOUND",
        message: `namespace "${record.name}" not found`,
      });
    }
  }

  async deleteNamespace(name: string): Promise<boolean> {
    const row = this.#row(name);
    if (!row) return false;
    this.#open.get(name)?.close();
    this.#open.delete(name);
    await this.#checkpointer?.release(this.#file(row.file_id));
    // The catalog row goes first (durably); files left by a crash after this are removed at next start.
    this.#catalog.prepare("DELETE FROM namespaces WHERE name = ?").run(name);
    for (const suffix of [".db", ".db-wal", ".db-shm"]) {
      rmSync(join(this.#dir, "namespaces", `${row.file_id}${suffix}`), { force: true });
    }
    rmSync(join(this.#dir, "indexes", row.file_id), { recursive: true, force: true });
    return true;
  }

  async openNamespace(name: string): Promise<NamespaceStore> {
    const open = this.#open.get(name);
    if (open) return open;
    const row = this.#row(name);
    if (!row)
      throw new NotFoundError({ code: "NAMESPACE_NOT_FOUND", message: `namespace "${name}" not found` });
    const file = this.#file(row.file_id);
    const checkpointer = this.#checkpointer;
    // Opening with an older key re-keys the file, which needs the worker's connection closed.
    if (checkpointer?.holds(file)) {
      await checkpointer.release(file);
      const opened = this.#open.get(name);
      if (opened) return opened;
    }
    const db = openDatabase(file, this.#settings, this.#keys);
    if (checkpointer?.active) db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
    const store = new SqliteNamespaceStore(
      name,
      db,
      {
        dir: join(this.#dir, "indexes", row.file_id),
        key: () => this.#snapshotKey,
      },
      checkpointer ? () => checkpointer.mark(file, this.#keys[0] ?? null) : undefined,
    );
    this.#open.set(name, store);
    return store;
  }

  /** Closes a namespace's file (and the checkpoint worker's connection to it) until it is opened again. */
  async releaseNamespace(name: string): Promise<void> {
    const store = this.#open.get(name);
    if (!store) return;
    this.#open.delete(name);
    const file = store.database.name;
    store.close();
    await this.#checkpointer?.release(file);
  }

  /**
   * Re-encrypts every database with `newKey` (key rotation). New opens use the new key at once and
   * fall back to the old one, re-keying what they open, so a rotation interrupted by a crash
   * completes itself on the next open. Index snapshots, encrypted under the old key, are deleted
   * (derived files: the engine writes them again under the new key); do not write snapshots while
   * this runs (`Loci.rekey` pauses them).
   */
  async rekey(newKey: Buffer): Promise<void> {
    if (!Buffer.isBuffer(newKey) || newKey.length !== 32) {
      throw new ValidationError({
        message: "the new key must be a 32-byte Buffer",
        details: { field: "newKey" },
      });
    }
    if (this.#keys.length === 0)
      throw new ValidationError({ message: "cannot rekey an unencrypted data directory" });
    this.#keys = [newKey, ...this.#keys];
    this.#snapshotKey = snapshotKeyOf(newKey);
    rekeyDatabase(this.#catalog, newKey);
    for (const rec of await this.listNamespaces()) {
      const store = (await this.openNamespace(rec.name)) as SqliteNamespaceStore;
      await this.#checkpointer?.release(store.database.name);
      rekeyDatabase(store.database, newKey);
    }
    this.#keys = [newKey];
    // Snapshots under the old key: no longer readable, and the old key must protect nothing left.
    for (const dir of readdirSync(join(this.#dir, "indexes"))) {
      rmSync(join(this.#dir, "indexes", dir), { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    const files = [...this.#open.values()].map((store) => store.database.name);
    for (const store of this.#open.values()) store.close();
    this.#open.clear();
    this.#unlisten?.();
    if (this.#ownCheckpointer) await this.#checkpointer?.close();
    else for (const file of files) await this.#checkpointer?.release(file);
    if (this.#catalog.open) this.#catalog.close();
  }
}

function toNamespaceRecord(row: CatalogRow): NamespaceRecord {
  return {
    name: row.name,
    description: row.description,
    config: JSON.parse(row.config) as NamespaceConfig,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
