/**
 * Schema of the PostgreSQL driver: identifier rules, versioned migrations and the per-namespace DDL.
 *
 * Layout inside the tenant's schema (one schema per tenant, created on first use):
 * ```
 * schema_migrations          applied migration versions
 * namespaces                 the catalog, plus per-namespace counters (last seq, generation, …);
 *                            its row is the namespace's write lock (SELECT … FOR UPDATE)
 * changes, sessions,         shared by all namespaces, keyed by ns_id (ON DELETE CASCADE)
 * entities, edges, memory_entities,
 * sentence_vectors
 * m_<key>                    one memories table per namespace: embedding vector(d) + HNSW (cosine)
 *                            once d is known, tsvector (GIN), and a pg_textsearch bm25 index
 * ```
 * Memories get a table per namespace because both ANN and BM25 are per-namespace concepts: one HNSW
 * graph per namespace keeps a namespace's top-k exact-ish without filtering a global graph, the
 * vector column can carry the namespace's dimension, and BM25 statistics (document count, average
 * length, IDF) must be the namespace's own. Partial indexes on one shared table would give every insert
 * and every planning step a cost linear in the number of namespaces. Table names come from a random
 * key recorded in the catalog, never from the namespace name.
 *
 * @module
 */
import type pg from "pg";
import { ValidationError } from "../errors.js";
import { REMOVAL_SQL } from "./driver.js";

/** The only characters a schema name may use (it is then double-quoted). */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const TABLE_KEY = /^[0-9a-f]{16}$/;

/** The text search configuration of the tsvector column and the bm25 index. */
export const TEXT_CONFIG = "simple";

/** HNSW (pgvector `vector`) indexes at most this many dimensions; larger namespaces scan exactly. */
export const HNSW_MAX_DIMENSIONS = 2000;

/** Validates and double-quotes a schema name. */
export function schemaIdent(name: string): string {
  if (!SCHEMA_NAME.test(name)) {
    throw new ValidationError({
      message: `invalid schema name "${name}": use 1-63 characters of a-z, 0-9 and _, not starting with a digit`,
      details: { field: "schema" },
    });
  }
  return `"${name}"`;
}

/** The quoted names of one namespace's relations. */
export interface NamespaceTables {
  /** `"schema"."m_<key>"` */
  memories: string;
  /** Unquoted, schema-qualified name of the bm25 index (for `to_bm25query`). */
  bm25Index: string;
  /** `"hnsw_<key>"` (unqualified, as CREATE INDEX wants it). */
  hnswIndex: string;
}

export function namespaceTables(schemaName: string, key: string): NamespaceTables {
  if (!TABLE_KEY.test(key)) throw new Error(`corrupt namespace table key "${key}"`);
  return {
    memories: `${schemaIdent(schemaName)}."m_${key}"`,
    bm25Index: `${schemaName}.bm25_${key}`,
    hnswIndex: `"hnsw_${key}"`,
  };
}

/** One migration: SQL statements run in order, in the migration transaction. */
interface Migration {
  version: number;
  statements: (s: string) => string[];
}

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    statements: (s) => [
      `CREATE TABLE ${s}.namespaces (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name text COLLATE "C" NOT NULL UNIQUE,
        table_key text NOT NULL UNIQUE,
        description text NOT NULL,
        config jsonb NOT NULL,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        dimensions integer,
        bm25 boolean NOT NULL DEFAULT false,
        last_seq bigint NOT NULL DEFAULT 0,
        generation bigint NOT NULL DEFAULT 0,
        last_session_seq bigint NOT NULL DEFAULT 0,
        memory_count bigint NOT NULL DEFAULT 0)`,
      `CREATE TABLE ${s}.changes (
        ns_id bigint NOT NULL REFERENCES ${s}.namespaces (id) ON DELETE CASCADE,
        generation bigint NOT NULL,
        type text NOT NULL,
        subject_id text NOT NULL,
        subject_seq bigint NOT NULL,
        at bigint NOT NULL,
        payload jsonb,
        PRIMARY KEY (ns_id, generation))`,
      `CREATE TABLE ${s}.sessions (
        ns_id bigint NOT NULL REFERENCES ${s}.namespaces (id) ON DELETE CASCADE,
        id text COLLATE "C" NOT NULL,
        seq bigint NOT NULL,
        metadata jsonb NOT NULL,
        created_at bigint NOT NULL,
        ended_at bigint,
        memory_count bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (ns_id, id),
        UNIQUE (ns_id, seq))`,
      `CREATE TABLE ${s}.entities (
        ns_id bigint NOT NULL REFERENCES ${s}.namespaces (id) ON DELETE CASCADE,
        key text COLLATE "C" NOT NULL,
        type text NOT NULL,
        name text NOT NULL,
        properties jsonb NOT NULL,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        PRIMARY KEY (ns_id, key))`,
      `CREATE TABLE ${s}.edges (
        ns_id bigint NOT NULL REFERENCES ${s}.namespaces (id) ON DELETE CASCADE,
        source_key text COLLATE "C" NOT NULL,
        target_key text COLLATE "C" NOT NULL,
        edge_type text COLLATE "C" NOT NULL,
        metadata jsonb NOT NULL,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        PRIMARY KEY (ns_id, source_key, target_key, edge_type))`,
      `CREATE INDEX edges_target ON ${s}.edges (ns_id, target_key)`,
      `CREATE TABLE ${s}.memory_entities (
        ns_id bigint NOT NULL REFERENCES ${s}.namespaces (id) ON DELETE CASCADE,
        memory_seq bigint NOT NULL,
        entity_key text COLLATE "C" NOT NULL,
        PRIMARY KEY (ns_id, memory_seq, entity_key))`,
      `CREATE INDEX memory_entities_entity ON ${s}.memory_entities (ns_id, entity_key)`,
    ],
  },
  {
    version: 2,
    statements: (s) => [
      `CREATE TABLE ${s}.sentence_vectors (
        ns_id bigint NOT NULL REFERENCES ${s}.namespaces (id) ON DELETE CASCADE,
        seq bigint NOT NULL,
        count integer NOT NULL,
        vectors bytea NOT NULL,
        PRIMARY KEY (ns_id, seq))`,
    ],
  },
  {
    version: 3,
    // Progress of a namespace's sentence-vector backfill (`NamespaceStore.sentenceBackfill`).
    statements: (s) => [`ALTER TABLE ${s}.namespaces ADD COLUMN sentence_backfill jsonb`],
  },
  {
    version: 4,
    // Memory removals by id (`NamespaceStore.removals`): only removal rows are indexed.
    statements: (s) => [
      `CREATE INDEX changes_removals ON ${s}.changes (ns_id, subject_id, generation) WHERE type IN (${REMOVAL_SQL})`,
    ],
  },
];

/** The newest schema version this code knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Advisory lock key of migrations (one for the whole database: extensions are database-wide). */
const MIGRATION_LOCK = [0x6c6f6369, 1] as const;

/** What exists already: extensions, the schema, and the migrations applied to it. */
async function inspect(client: pg.ClientBase, schemaName: string) {
  const { rows } = await client.query<{ extname: string }>(
    "SELECT extname FROM pg_extension WHERE extname IN ('vector', 'pg_textsearch')",
  );
  const ext = new Set(rows.map((r) => r.extname));
  const table = await client.query<{ ok: boolean }>("SELECT to_regclass($1) IS NOT NULL AS ok", [
    `${schemaIdent(schemaName)}.schema_migrations`,
  ]);
  let applied = new Set<number>();
  if (table.rows[0]?.ok) {
    const versions = await client.query<{ version: number }>(
      `SELECT version FROM ${schemaIdent(schemaName)}.schema_migrations`,
    );
    applied = new Set(versions.rows.map((r) => r.version));
  }
  const schema = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schemaName]);
  return {
    vector: ext.has("vector"),
    bm25: ext.has("pg_textsearch"),
    schema: (schema.rowCount ?? 0) > 0,
    applied,
  };
}

/**
 * Creates the schema and applies missing migrations, in one transaction holding a transaction-level
 * advisory lock, so concurrent starters wait for each other and each migration runs exactly once.
 * Also creates the `vector` extension and, when available, `pg_textsearch`. An up-to-date schema is
 * detected without locking or DDL, so a role without CREATE privileges can use a prepared schema.
 * @returns whether `pg_textsearch` is installed in the database.
 */
export async function migrate(client: pg.ClientBase, schemaName: string): Promise<{ bm25: boolean }> {
  const s = schemaIdent(schemaName);
  const before = await inspect(client, schemaName);
  const newest = Math.max(0, ...before.applied);
  if (newest > SCHEMA_VERSION) {
    throw new Error(
      `schema ${schemaName} is at version ${newest}, newer than this driver (${SCHEMA_VERSION})`,
    );
  }
  if (before.vector && MIGRATIONS.every((m) => before.applied.has(m.version))) return { bm25: before.bm25 };
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1, $2)", [...MIGRATION_LOCK]);
    const now = await inspect(client, schemaName);
    if (!now.vector) await client.query("CREATE EXTENSION IF NOT EXISTS vector");
    if (!now.bm25) {
      await client.query("SAVEPOINT textsearch");
      try {
        await client.query("CREATE EXTENSION IF NOT EXISTS pg_textsearch");
        await client.query("RELEASE SAVEPOINT textsearch");
      } catch {
        // Not installed on this server (or no privilege): keyword search uses Postgres full text.
        await client.query("ROLLBACK TO SAVEPOINT textsearch");
      }
    }
    if (!now.schema) await client.query(`CREATE SCHEMA ${s}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    for (const m of MIGRATIONS) {
      if (now.applied.has(m.version)) continue;
      for (const sql of m.statements(s)) await client.query(sql);
      await client.query(`INSERT INTO ${s}.schema_migrations (version) VALUES ($1)`, [m.version]);
    }
    const ext = await client.query("SELECT 1 FROM pg_extension WHERE extname = 'pg_textsearch'");
    await client.query("COMMIT");
    return { bm25: (ext.rowCount ?? 0) > 0 };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}

/** DDL of a new namespace's memories table (run in the createNamespace transaction). */
export function memoriesTableDdl(t: NamespaceTables, key: string, bm25: boolean): string[] {
  const out = [
    `CREATE TABLE ${t.memories} (
      seq bigint PRIMARY KEY,
      id text COLLATE "C" NOT NULL UNIQUE,
      content text NOT NULL,
      metadata jsonb NOT NULL,
      session_id text COLLATE "C",
      agent_id text,
      importance double precision NOT NULL,
      created_at bigint NOT NULL,
      updated_at bigint NOT NULL,
      last_accessed_at bigint NOT NULL,
      access_count bigint NOT NULL DEFAULT 0,
      expires_at bigint,
      embedding vector NOT NULL,
      tsv tsvector GENERATED ALWAYS AS (to_tsvector('${TEXT_CONFIG}'::regconfig, content)) STORED)`,
    `CREATE INDEX "session_${key}" ON ${t.memories} (session_id, seq)`,
    `CREATE INDEX "tsv_${key}" ON ${t.memories} USING gin (tsv)`,
  ];
  if (bm25) {
    out.push(
      `CREATE INDEX "bm25_${key}" ON ${t.memories} USING bm25 (content) WITH (text_config = '${TEXT_CONFIG}')`,
    );
  }
  return out;
}

/**
 * DDL fixing a namespace's vector dimension (at its first insert, table still empty): the column gets
 * its `vector(d)` type and an HNSW cosine index (when d is small enough for HNSW).
 */
export function dimensionDdl(t: NamespaceTables, dimensions: number): string[] {
  if (!Number.isSafeInteger(dimensions) || dimensions < 1) throw new Error(`bad dimension ${dimensions}`);
  const out = [`ALTER TABLE ${t.memories} ALTER COLUMN embedding TYPE vector(${dimensions})`];
  if (dimensions <= HNSW_MAX_DIMENSIONS) {
    out.push(`CREATE INDEX ${t.hnswIndex} ON ${t.memories} USING hnsw (embedding vector_cosine_ops)`);
  }
  return out;
}
