/**
 * The PostgreSQL storage driver (pgvector + Postgres full text, optional pg_textsearch BM25), for
 * many stateless Loci servers sharing one database (SPEC §5).
 *
 * One driver instance owns one schema (one tenant): it creates the schema and migrates it on first
 * use and never touches anything outside it (except creating the `vector` / `pg_textsearch`
 * extensions). See `postgres-schema.ts` for the layout, `postgres-tx.ts` for how writers of a
 * namespace are serialised across processes, and `postgres-search.ts` for search pushdown.
 *
 * @example
 * ```ts
 * const driver = new PostgresDriver({ connectionString: process.env.DATABASE_URL, schema: "tenant_acme" });
 * const stop = await driver.subscribeChanges((namespace, generation) => console.log(namespace, generation));
 * ```
 * @module
 */
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import type { NamespaceConfig } from "../types.js";
import type { NamespaceRecord, NamespaceStore, StorageDriver } from "./driver.js";
import { ChangeFeed, type ChangeListener } from "./postgres-listen.js";
import { PostgresNamespaceStore } from "./postgres-namespace.js";
import { jsonParam, run } from "./postgres-rows.js";
import { memoriesTableDdl, migrate, namespaceTables, schemaIdent } from "./postgres-schema.js";
import type { KeywordScoring } from "./postgres-search.js";
import { CHANGE_CHANNEL, toStorageError, transaction } from "./postgres-tx.js";

/** Options of {@link PostgresDriver}. Give `connectionString` or `pool`. */
export interface PostgresDriverOptions {
  /** `postgres://user:password@host:port/database` */
  connectionString?: string;
  /** A pool owned by the caller (not ended by `close()`); its connection options also serve LISTEN. */
  pool?: pg.Pool;
  /** The tenant's schema (a-z, 0-9, _; at most 63 characters). @default "loci" */
  schema?: string;
  /** Pool size when the driver creates the pool. @default 10 */
  maxConnections?: number;
  /** Keyword scoring of `keywordSearch`. @default "auto" (BM25 when the namespace has a bm25 index) */
  keyword?: KeywordScoring;
  /**
   * Vector search scans exactly (no HNSW) in namespaces with at most this many memories.
   * @default 10000
   */
  exactSearchThreshold?: number;
  /** `hnsw.ef_search` of indexed vector search (raised to 2·k when larger; pgvector's default is 40). @default 100 */
  efSearch?: number;
  /**
   * Disables sequential scans in the HNSW and bm25 index steps of search, so the indexes are used
   * even on small tables (benchmarks, tests). @default false: the planner decides
   */
  forceIndexScans?: boolean;
  /**
   * A local directory where this process keeps its namespaces' ANN and keyword snapshots (under
   * `<snapshotDir>/<schema>/<namespace table key>/`), so that opening a namespace loads them and
   * catches up from the change log instead of re-inserting every vector and tokenizing every memory.
   * One directory per process (the engine's tenant directory is a good one: it is locked to one
   * engine). The files are derived, unencrypted copies of the memories' vectors and index terms.
   * @default none: every open rebuilds the indexes from the database
   */
  snapshotDir?: string;
}

interface CatalogRow {
  id: number;
  name: string;
  table_key: string;
  description: string;
  config: NamespaceConfig;
  created_at: number;
  updated_at: number;
  bm25: boolean;
}

const CATALOG_COLUMNS = "id, name, table_key, description, config, created_at, updated_at, bm25";

const toRecord = (r: CatalogRow): NamespaceRecord => ({
  name: r.name,
  description: r.description,
  config: r.config,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** A {@link StorageDriver} on PostgreSQL: one schema per tenant, one memories table per namespace. */
export class PostgresDriver implements StorageDriver {
  readonly kind = "postgres";
  /** Other processes may write the same schema. */
  readonly shared = true;
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #schemaName: string;
  readonly #schema: string;
  readonly #keyword: KeywordScoring;
  readonly #exactSearchThreshold: number;
  readonly #forceIndexScans: boolean;
  readonly #efSearch: number;
  readonly #open = new Map<string, PostgresNamespaceStore>();
  readonly #snapshotDir: string | null;
  #ready: Promise<{ bm25: boolean }> | null = null;
  #feed: ChangeFeed | null = null;
  #closed = false;

  constructor(opts: PostgresDriverOptions) {
    this.#schemaName = opts.schema ?? "loci";
    this.#schema = schemaIdent(this.#schemaName);
    if (!opts.pool && !opts.connectionString) {
      throw new ValidationError({ message: "PostgresDriver needs a connectionString or a pool" });
    }
    const max = opts.maxConnections ?? 10;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new ValidationError({
        message: "maxConnections must be a positive integer",
        details: { field: "maxConnections" },
      });
    }
    this.#keyword = opts.keyword ?? "auto";
    if (!["auto", "bm25", "fulltext"].includes(this.#keyword)) {
      throw new ValidationError({
        message: `unknown keyword scoring "${this.#keyword}"`,
        details: { field: "keyword" },
      });
    }
    this.#exactSearchThreshold = opts.exactSearchThreshold ?? 10_000;
    this.#forceIndexScans = opts.forceIndexScans ?? false;
    this.#efSearch = opts.efSearch ?? 100;
    this.#snapshotDir = opts.snapshotDir ? join(opts.snapshotDir, this.#schemaName) : null;
    for (const [field, v, max] of [
      ["exactSearchThreshold", this.#exactSearchThreshold, Number.MAX_SAFE_INTEGER],
      ["efSearch", this.#efSearch, 1000],
    ] as const) {
      if (!Number.isSafeInteger(v) || v < 0 || v > max) {
        throw new ValidationError({
          message: `${field} must be an integer in 0..${max}`,
          details: { field },
        });
      }
    }
    this.#ownsPool = !opts.pool;
    this.#pool = opts.pool ?? new pg.Pool({ connectionString: opts.connectionString, max });
    if (this.#ownsPool) this.#pool.on("error", () => undefined); // idle-client errors: the pool replaces the client
  }

  /** The schema this driver works in. */
  get schema(): string {
    return this.#schemaName;
  }

  /** Migrates once (retried on the next call after a failure). */
  #init(): Promise<{ bm25: boolean }> {
    if (this.#closed)
      return Promise.reject(new ConflictError({ code: "CLOSED", message: "the driver is closed" }));
    this.#ready ??= (async () => {
      const client = await this.#pool.connect();
      let ready: { bm25: boolean };
      try {
        ready = await migrate(client, this.#schemaName);
      } finally {
        client.release();
      }
      await this.#pruneSnapshots();
      return ready;
    })().catch((err: unknown) => {
      this.#ready = null;
      throw toStorageError(err);
    });
    return this.#ready;
  }

  /** The local snapshot directory of a namespace table, or `null` when snapshots are off. */
  #snapshotsOf(tableKey: string): string | null {
    return this.#snapshotDir ? join(this.#snapshotDir, tableKey) : null;
  }

  /**
   * Removes local snapshots of namespaces no longer in the catalog (deleted by another process). Best
   * effort: they are derived files, and one left behind is never loaded (its table key is gone).
   */
  async #pruneSnapshots(): Promise<void> {
    if (!this.#snapshotDir || !existsSync(this.#snapshotDir)) return;
    try {
      const { rows } = await run<{ table_key: string }>(
        this.#pool,
        `SELECT table_key FROM ${this.#schema}.namespaces`,
      );
      const live = new Set(rows.map((r) => r.table_key));
      for (const key of readdirSync(this.#snapshotDir)) {
        if (!live.has(key)) rmSync(join(this.#snapshotDir, key), { recursive: true, force: true });
      }
    } catch {
      // left for the next start
    }
  }

  async #catalog(where: string, params: unknown[]): Promise<CatalogRow[]> {
    await this.#init();
    try {
      return (
        await run<CatalogRow>(
          this.#pool,
          `SELECT ${CATALOG_COLUMNS} FROM ${this.#schema}.namespaces ${where}`,
          params,
        )
      ).rows;
    } catch (err) {
      throw toStorageError(err);
    }
  }

  #notify(client: pg.ClientBase, namespace: string, generation: number) {
    const payload = JSON.stringify({ schema: this.#schemaName, namespace, generation });
    return run(client, "SELECT pg_notify($1, $2)", [CHANGE_CHANNEL, payload]);
  }

  async createNamespace(record: NamespaceRecord): Promise<void> {
    const { bm25 } = await this.#init();
    const key = randomBytes(8).toString("hex");
    try {
      await transaction(this.#pool, async (client) => {
        const { rows } = await run(
          client,
          `INSERT INTO ${this.#schema}.namespaces (name, table_key, description, config, created_at, updated_at, bm25)
           VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7) ON CONFLICT (name) DO NOTHING RETURNING id`,
          [
            record.name,
            key,
            record.description,
            jsonParam(record.config),
            record.createdAt,
            record.updatedAt,
            bm25,
          ],
        );
        if (rows.length === 0) {
          throw new ConflictError({
            code: "ALREADY_EXISTS",
            message: `namespace "${record.name}" already exists`,
          });
        }
        for (const sql of memoriesTableDdl(namespaceTables(this.#schemaName, key), key, bm25))
          await client.query(sql);
        await this.#notify(client, record.name, 0);
      });
    } catch (err) {
      throw toStorageError(err);
    }
  }

  async getNamespace(name: string): Promise<NamespaceRecord | null> {
    const [row] = await this.#catalog("WHERE name = $1", [name]);
    return row ? toRecord(row) : null;
  }

  async listNamespaces(): Promise<NamespaceRecord[]> {
    return (await this.#catalog("ORDER BY name", [])).map(toRecord);
  }

  async updateNamespace(record: NamespaceRecord): Promise<void> {
    await this.#init();
    try {
      await transaction(this.#pool, async (client) => {
        const { rows } = await run<{ generation: number }>(
          client,
          `UPDATE ${this.#schema}.namespaces SET description = $2, config = $3::jsonb, updated_at = $4
           WHERE name = $1 RETURNING generation`,
          [record.name, record.description, jsonParam(record.config), record.updatedAt],
        );
        if (!rows[0]) {
          throw new NotFoundError({
            code: "NAMESPACE_NOT_FOUND",
            message: `namespace "${record.name}" not found`,
          });
        }
        await this.#notify(client, record.name, rows[0].generation);
      });
    } catch (err) {
      throw toStorageError(err);
    }
  }

  async deleteNamespace(name: string): Promise<boolean> {
    await this.#init();
    this.#open.delete(name);
    try {
      const key = await transaction(this.#pool, async (client) => {
        // Deleting the catalog row waits for the namespace's writers (row lock) and cascades to its rows.
        const { rows } = await run<{ table_key: string }>(
          client,
          `DELETE FROM ${this.#schema}.namespaces WHERE name = $1 RETURNING table_key`,
          [name],
        );
        if (!rows[0]) return null;
        await client.query(
          `DROP TABLE IF EXISTS ${namespaceTables(this.#schemaName, rows[0].table_key).memories}`,
        );
        await this.#notify(client, name, 0);
        return rows[0].table_key;
      });
      if (key === null) return false;
      // After the commit: the local snapshots of the deleted namespace (derived files).
      const snapshots = this.#snapshotsOf(key);
      try {
        if (snapshots) rmSync(snapshots, { recursive: true, force: true });
      } catch {
        // the next start's prune removes them (the namespace is deleted either way)
      }
      return true;
    } catch (err) {
      throw toStorageError(err);
    }
  }

  async openNamespace(name: string): Promise<NamespaceStore> {
    const [row] = await this.#catalog("WHERE name = $1", [name]);
    if (!row)
      throw new NotFoundError({ code: "NAMESPACE_NOT_FOUND", message: `namespace "${name}" not found` });
    const open = this.#open.get(name);
    // Another process may have deleted and re-created the namespace: the cached store must match the row.
    if (open && open.id === row.id) return open;
    const store = new PostgresNamespaceStore(name, {
      pool: this.#pool,
      schema: this.#schema,
      schemaName: this.#schemaName,
      namespace: name,
      nsId: row.id,
      tables: namespaceTables(this.#schemaName, row.table_key),
      snapshotDir: this.#snapshotsOf(row.table_key),
      bm25: row.bm25,
      keyword: this.#keyword,
      exactSearchThreshold: this.#exactSearchThreshold,
      forceIndexScans: this.#forceIndexScans,
      efSearch: this.#efSearch,
      stats: {
        vectorExact: 0,
        vectorSelective: 0,
        vectorIndex: 0,
        vectorFallback: 0,
        keywordIndex: 0,
        keywordFallback: 0,
        keywordFulltext: 0,
      },
    });
    this.#open.set(name, store);
    return store;
  }

  /**
   * Calls `listener` with `(namespace, generation)` after every committed write to this schema, by
   * any process (`generation` 0 after a namespace is created or deleted). Uses one dedicated LISTEN
   * connection that reconnects by itself; after a reconnect every namespace's current generation is
   * reported, so subscribers catch up with `changesSince`. Resolves once listening; the returned
   * function unsubscribes.
   */
  async subscribeChanges(listener: ChangeListener): Promise<() => Promise<void>> {
    await this.#init();
    this.#feed ??= new ChangeFeed({
      client: (this.#pool as unknown as { options: pg.ClientConfig }).options,
      schema: this.#schemaName,
      generations: async () =>
        (
          await run<{ name: string; generation: number }>(
            this.#pool,
            `SELECT name, generation FROM ${this.#schema}.namespaces ORDER BY name`,
          )
        ).rows.map((r): [string, number] => [r.name, r.generation]),
    });
    const feed = this.#feed;
    try {
      await feed.add(listener);
    } catch (err) {
      throw toStorageError(err);
    }
    return () => feed.remove(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#open.clear();
    await this.#feed?.stop();
    await this.#ready?.catch(() => undefined);
    if (this.#ownsPool) await this.#pool.end();
  }
}
