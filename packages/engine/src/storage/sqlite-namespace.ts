/**
 * The SQLite storage of one namespace: one database file in WAL mode with `synchronous=FULL`, so a
 * write's promise resolves only after its transaction is committed and synced. Sessions and the
 * knowledge graph live in the same file ({@link SqliteSessions}, {@link SqliteGraph}) and share its
 * transactions and change log.
 *
 * @module
 */
import type BetterSqlite3 from "better-sqlite3-multiple-ciphers";
import { ConflictError } from "../errors.js";
import type { Metadata } from "../types.js";
import type {
  ChangeRecord,
  ChangeType,
  EdgeRecord,
  EdgeUpsert,
  EntityRecord,
  EntityRemoval,
  EntityUpsert,
  GraphData,
  GraphUpsertResult,
  InsertOptions,
  InsertResult,
  MemoryRecord,
  MemoryRecordPatch,
  MemoryRemoval,
  NamespaceStore,
  NewMemoryRecord,
  ScanOptions,
  SentenceBackfillState,
  SentenceFill,
  SessionRecord,
} from "./driver.js";
import { REMOVAL_SQL } from "./driver.js";
import { memoryRemovedError } from "./removed-ids.js";
import { SqliteGraph } from "./sqlite-graph.js";
import { COLUMNS, chunks, MEMORIES_SCHEMA, valuesToRecord } from "./sqlite-rows.js";
import { SqliteSentences } from "./sqlite-sentences.js";
import { SqliteSessions } from "./sqlite-sessions.js";
import { StatementCache } from "./sqlite-statements.js";
import { migrateVectors, SqliteVectors } from "./sqlite-vectors.js";

/** {@link NamespaceStore} on one SQLite file. */
export class SqliteNamespaceStore implements NamespaceStore {
  readonly #db: BetterSqlite3.Database;
  readonly #logChange: BetterSqlite3.Statement;
  readonly #insert: BetterSqlite3.Statement;
  readonly #sessions: SqliteSessions;
  readonly #graph: SqliteGraph;
  readonly #statements: StatementCache;
  readonly snapshotDir: string | null;
  readonly #snapshotKey: () => Buffer | null;
  readonly #sentences: SqliteSentences;
  readonly #vectors: SqliteVectors;
  #count: number | null = null;

  readonly #onCommit: () => void;

  /** The key snapshots are encrypted under (the tenant key's, current after a rotation); `null`: plaintext. */
  get snapshotKey(): Buffer | null {
    return this.#snapshotKey();
  }

  constructor(
    readonly name: string,
    db: BetterSqlite3.Database,
    /** Where snapshots go, and the key they are encrypted under now (it changes with a key rotation). */
    snapshot: { dir: string | null; key: () => Buffer | null },
    /** Called on every write transaction (the driver schedules its WAL checkpoint). */
    onCommit: () => void = () => undefined,
  ) {
    this.#onCommit = onCommit;
    this.snapshotDir = snapshot.dir;
    this.#snapshotKey = snapshot.key;
    this.#db = db;
    this.#statements = new StatementCache(db);
    db.exec(MEMORIES_SCHEMA);
    migrateVectors(db);
    this.#vectors = new SqliteVectors(db, this.#statements);
    this.#sessions = new SqliteSessions(db);
    this.#sentences = new SqliteSentences(db, this.#statements);
    this.#graph = new SqliteGraph(db, this.#statements, (type, id, seq, at, payload) =>
      this.#log(type, id, seq, at, payload),
    );
    this.#logChange = db.prepare(
      "INSERT INTO changes (type, subject_id, subject_seq, at, payload) VALUES (?, ?, ?, ?, ?)",
    );
    this.#insert = db.prepare(
      `INSERT INTO memories (id, content, metadata, session_id, agent_id, importance, created_at, updated_at,
        last_accessed_at, access_count, expires_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
    );
  }

  /** The underlying connection (for the driver's own maintenance). */
  get database(): BetterSqlite3.Database {
    return this.#db;
  }

  #log(type: ChangeType, id: string, seq: number, at: number, payload: Metadata | null = null): void {
    this.#onCommit();
    this.#logChange.run(type, id, seq, at, payload === null ? null : JSON.stringify(payload));
  }

  /** Logs a memory change with its provenance as payload. */
  #logMemory(
    type: ChangeType,
    rec: { id: string; seq: number; sessionId: string | null; agentId: string | null },
    at: number,
  ) {
    this.#log(type, rec.id, rec.seq, at, { sessionId: rec.sessionId, agentId: rec.agentId });
  }

  /** Fills in the entity links of records. */
  #linked<R extends MemoryRecord>(records: R[]): R[] {
    if (records.length === 0) return records;
    const links = this.#graph.linksOf(records.map((r) => r.seq));
    for (const r of records) r.entities = links.get(r.seq) ?? [];
    return records;
  }

  /** The memory with this id, without its embedding and entity links, or `undefined`. */
  #byId(id: string): MemoryRecord | undefined {
    const values = this.#statements.get(`SELECT ${COLUMNS} FROM memories WHERE id = ?`).raw(true).get(id) as
      | unknown[]
      | undefined;
    return values && valuesToRecord(values);
  }

  /** Deletes one memory (and its entity links) inside a transaction, keeping its session's count right. */
  #remove(found: MemoryRecord, type: ChangeType, at: number): MemoryRecord {
    const [rec] = this.#linked([found]) as [MemoryRecord];
    this.#db.prepare("DELETE FROM memories WHERE seq = ?").run(rec.seq);
    this.#graph.unlink(rec.seq);
    this.#sentences.remove(rec.seq);
    this.#vectors.remove(rec.seq);
    if (rec.sessionId !== null) this.#sessions.count(rec.sessionId, -1);
    this.#logMemory(type, rec, at);
    return rec;
  }

  async generation(): Promise<number> {
    const row = this.#statements.get("SELECT MAX(generation) AS g FROM changes").get() as {
      g: number | null;
    };
    return row.g ?? 0;
  }

  /**
   * The number of memories: counted once, then kept by this store's committed inserts and removals
   * (it is the file's only writer), since `COUNT(*)` walks the whole table (a namespace's `GET`).
   */
  async count(): Promise<number> {
    this.#count ??= (this.#statements.get("SELECT COUNT(*) AS n FROM memories").get() as { n: number }).n;
    return this.#count;
  }

  /** Adjusts the kept count after a commit (no-op until first counted). */
  #counted(delta: number): void {
    if (this.#count !== null) this.#count += delta;
  }

  async insert(records: readonly NewMemoryRecord[], opts: InsertOptions = {}): Promise<InsertResult> {
    const exists = this.#statements.get("SELECT 1 FROM memories WHERE id = ?").pluck();
    const tx = this.#db.transaction((recs: readonly NewMemoryRecord[]) => {
      const inserted: MemoryRecord[] = [];
      const createdEntities: EntityRecord[] = [];
      for (const r of recs) {
        if (exists.get(r.id)) {
          throw new ConflictError({ code: "ALREADY_EXISTS", message: `memory "${r.id}" already exists` });
        }
      }
      if (opts.refuseRemoved?.length) {
        const refused = memoryRemovedError(this.name, opts.refuseRemoved, this.#removals(opts.refuseRemoved));
        if (refused) throw refused;
      }
      for (const r of recs) {
        if (r.sessionId !== null) {
          this.#sessions.assertWritable(r.sessionId);
          this.#sessions.count(r.sessionId, 1);
        }
        const info = this.#insert.run(
          r.id,
          r.content,
          JSON.stringify(r.metadata),
          r.sessionId,
          r.agentId,
          r.importance,
          r.createdAt,
          r.updatedAt,
          r.lastAccessedAt,
          r.accessCount,
          r.expiresAt,
        );
        const { entities: links = [], sentenceEmbeddings, ...fields } = r;
        const rec: MemoryRecord = { ...fields, seq: Number(info.lastInsertRowid), entities: [] };
        this.#vectors.put(rec.seq, r.embedding);
        if (sentenceEmbeddings?.length) this.#sentences.put(rec.seq, sentenceEmbeddings);
        this.#logMemory("memory.added", rec, r.updatedAt);
        if (links.length > 0) createdEntities.push(...this.#graph.link(rec.seq, links, r.updatedAt));
        inserted.push(rec);
      }
      this.#linked(inserted);
      const evicted: MemoryRecord[] = [];
      const at = recs[0]?.updatedAt ?? 0;
      for (const id of opts.evict ?? []) {
        const found = this.#byId(id);
        if (found) evicted.push(this.#remove(found, "memory.evicted", at));
      }
      return { inserted, evicted, createdEntities };
    });
    const result = tx.immediate(records);
    this.#counted(result.inserted.length - result.evicted.length);
    return result;
  }

  async update(id: string, patch: MemoryRecordPatch): Promise<MemoryRecord | null> {
    const tx = this.#db.transaction(() => {
      const next = this.#byId(id);
      if (!next) return null;
      next.embedding = patch.embedding ?? this.#vectors.get([next.seq]).get(next.seq) ?? null;
      if (patch.content !== undefined) next.content = patch.content;
      if (patch.metadata !== undefined) next.metadata = patch.metadata;
      if (patch.importance !== undefined) next.importance = patch.importance;
      if (patch.expiresAt !== undefined) next.expiresAt = patch.expiresAt;
      next.updatedAt = patch.updatedAt;
      this.#db
        .prepare(
          `UPDATE memories SET content = ?, metadata = ?, importance = ?, expires_at = ?,
           updated_at = ? WHERE seq = ?`,
        )
        .run(
          next.content,
          JSON.stringify(next.metadata),
          next.importance,
          next.expiresAt,
          next.updatedAt,
          next.seq,
        );
      if (patch.embedding !== undefined) this.#vectors.put(next.seq, patch.embedding);
      if (patch.sentenceEmbeddings !== undefined) this.#sentences.put(next.seq, patch.sentenceEmbeddings);
      this.#logMemory("memory.updated", next, patch.updatedAt);
      return this.#linked([next])[0]!;
    });
    return tx.immediate();
  }

  async delete(
    ids: readonly string[],
    at: number,
    reason: "memory.deleted" | "memory.expired" = "memory.deleted",
  ): Promise<MemoryRecord[]> {
    const tx = this.#db.transaction(() => {
      const out: MemoryRecord[] = [];
      for (const id of ids) {
        const found = this.#byId(id);
        if (found) out.push(this.#remove(found, reason, at));
      }
      return out;
    });
    const removed = tx.immediate();
    this.#counted(-removed.length);
    return removed;
  }

  async get(ids: readonly string[], opts?: { withEmbeddings?: boolean }): Promise<MemoryRecord[]> {
    return this.#fetch("id", ids, opts?.withEmbeddings ?? false);
  }

  async getBySeq(seqs: readonly number[], opts?: { withEmbeddings?: boolean }): Promise<MemoryRecord[]> {
    return this.#fetch("seq", seqs, opts?.withEmbeddings ?? false);
  }

  async getEmbeddings(seqs: readonly number[]): Promise<Map<number, Float32Array>> {
    return this.#vectors.get(seqs);
  }

  async getSentenceEmbeddings(seqs: readonly number[]): Promise<Map<number, Float32Array[]>> {
    return this.#sentences.get(seqs);
  }

  async fillSentenceEmbeddings(entries: readonly SentenceFill[]): Promise<number[]> {
    const written = this.#db.transaction(() => this.#sentences.fill(entries)).immediate();
    this.#onCommit();
    return written;
  }

  async sentenceBackfill(): Promise<SentenceBackfillState | null> {
    return this.#sentences.backfill();
  }

  async setSentenceBackfill(
    state: SentenceBackfillState | null,
    opts?: { expected: SentenceBackfillState | null },
  ): Promise<boolean> {
    const written = this.#db.transaction(() => this.#sentences.setBackfill(state, opts)).immediate();
    this.#onCommit();
    return written;
  }

  /** Adds their stored vectors to records. */
  #withVectors(records: MemoryRecord[]): MemoryRecord[] {
    const vectors = this.#vectors.get(records.map((r) => r.seq));
    for (const r of records) r.embedding = vectors.get(r.seq) ?? null;
    return records;
  }

  #fetch<K extends string | number>(column: "id" | "seq", keys: readonly K[], withEmbeddings: boolean) {
    const byKey = new Map<K, MemoryRecord>();
    for (const part of chunks(keys)) {
      const [stmt, params] = this.#statements.inList(
        part,
        (list) => `SELECT ${COLUMNS} FROM memories WHERE ${column} IN (${list})`,
      );
      for (const values of stmt.raw(true).all(...params) as unknown[][]) {
        const rec = valuesToRecord(values);
        byKey.set((column === "id" ? rec.id : rec.seq) as K, rec);
      }
    }
    const out: MemoryRecord[] = [];
    for (const k of keys) {
      const rec = byKey.get(k);
      if (rec) out.push(rec);
    }
    return this.#linked(withEmbeddings ? this.#withVectors(out) : out);
  }

  async scan(opts: ScanOptions): Promise<MemoryRecord[]> {
    const rows = this.#statements
      .get(`SELECT ${COLUMNS} FROM memories WHERE seq > ? ORDER BY seq LIMIT ?`)
      .raw(true)
      .all(opts.afterSeq ?? 0, opts.limit) as unknown[][];
    const records = rows.map(valuesToRecord);
    return this.#linked(opts.withEmbeddings ? this.#withVectors(records) : records);
  }

  async removals(ids: readonly string[]): Promise<Map<string, MemoryRemoval>> {
    return this.#removals(ids);
  }

  #removals(ids: readonly string[]): Map<string, MemoryRemoval> {
    const out = new Map<string, MemoryRemoval>();
    for (const part of chunks([...new Set(ids)])) {
      // The same type list as the partial index `changes_removals`, so SQLite can use it.
      const [stmt, params] = this.#statements.inList(
        part,
        (list) =>
          `SELECT subject_id, type, at FROM changes WHERE type IN (${REMOVAL_SQL}) AND subject_id IN (${list}) ORDER BY generation`,
      );
      for (const r of stmt.all(...params) as {
        subject_id: string;
        type: MemoryRemoval["type"];
        at: number;
      }[])
        out.set(r.subject_id, { type: r.type, at: r.at });
    }
    return out;
  }

  async changesSince(generation: number, limit = 10_000): Promise<ChangeRecord[]> {
    const rows = this.#db
      .prepare(
        "SELECT generation, type, subject_id, subject_seq, at, payload FROM changes WHERE generation > ? ORDER BY generation LIMIT ?",
      )
      .all(generation, limit) as {
      generation: number;
      type: ChangeType;
      subject_id: string;
      subject_seq: number;
      at: number;
      payload: string | null;
    }[];
    return rows.map((r) => ({
      generation: r.generation,
      type: r.type,
      subjectId: r.subject_id,
      subjectSeq: r.subject_seq,
      at: r.at,
      payload: r.payload === null ? null : (JSON.parse(r.payload) as Metadata),
    }));
  }

  async touch(seqs: readonly number[], at: number): Promise<void> {
    if (seqs.length === 0) return;
    const stmt = this.#statements.get(
      "UPDATE memories SET last_accessed_at = MAX(last_accessed_at, ?), access_count = access_count + ? WHERE seq = ?",
    );
    // One update per memory (a memory hit by several searches counts them all), in seq order.
    const hits = new Map<number, number>();
    for (const seq of seqs) hits.set(seq, (hits.get(seq) ?? 0) + 1);
    const ordered = [...hits].sort((a, b) => a[0] - b[0]);
    // Access statistics are not an acknowledged write: their commit skips its own fsync (the next
    // durable commit or checkpoint syncs it), so coalesced search hits never stall the event loop.
    const synchronous = this.#db.pragma("synchronous", { simple: true }) as number;
    this.#db.pragma("synchronous = NORMAL");
    try {
      this.#db.transaction(() => {
        for (const [seq, n] of ordered) stmt.run(at, n, seq);
      })();
      this.#onCommit();
    } finally {
      this.#db.pragma(`synchronous = ${synchronous}`);
    }
  }

  async createSession(session: {
    id: string;
    metadata: Metadata;
    createdAt: number;
  }): Promise<SessionRecord> {
    return this.#db
      .transaction(() => {
        const rec = this.#sessions.create(session);
        this.#log("session.created", rec.id, 0, rec.createdAt, { metadata: rec.metadata });
        return rec;
      })
      .immediate();
  }

  async getSession(id: string): Promise<SessionRecord | null> {
    return this.#sessions.get(id);
  }

  async listSessions(opts: { afterSeq?: number; limit: number }): Promise<SessionRecord[]> {
    return this.#sessions.list(opts.afterSeq ?? 0, opts.limit);
  }

  async endSession(id: string, at: number): Promise<SessionRecord | null> {
    return this.#db
      .transaction(() => {
        const result = this.#sessions.end(id, at);
        if (result?.ended) this.#log("session.ended", id, 0, at, null);
        return result?.session ?? null;
      })
      .immediate();
  }

  async upsertGraph(
    input: { entities?: readonly EntityUpsert[]; edges?: readonly EdgeUpsert[] },
    at: number,
  ): Promise<GraphUpsertResult> {
    const tx = this.#db.transaction((): GraphUpsertResult => {
      const changed = { entities: 0, edges: 0 };
      const createdEntities: EntityRecord[] = [];
      const entities = (input.entities ?? []).map((u) => {
        const r = this.#graph.upsertEntity(u, at);
        if (r.changed) changed.entities++;
        return r.entity;
      });
      const edges = (input.edges ?? []).map((u) => {
        const r = this.#graph.upsertEdge(u, at, createdEntities);
        if (r.changed) changed.edges++;
        return r.edge;
      });
      changed.entities += createdEntities.length;
      return { entities, edges, createdEntities, changed };
    });
    return tx.immediate();
  }

  async removeEdges(
    edges: readonly { sourceKey: string; targetKey: string; edgeType: string }[],
    at: number,
  ): Promise<EdgeRecord[]> {
    const tx = this.#db.transaction(() =>
      edges.flatMap((e) => this.#graph.removeEdge(e.sourceKey, e.targetKey, e.edgeType, at) ?? []),
    );
    return tx.immediate();
  }

  async removeEntity(key: string, at: number): Promise<EntityRemoval | null> {
    return this.#db.transaction(() => this.#graph.removeEntity(key, at)).immediate();
  }

  async loadGraph(): Promise<GraphData> {
    return this.#db.transaction(() => this.#graph.load())();
  }

  /** Closes the connection (checkpointing the WAL). */
  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
