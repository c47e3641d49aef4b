/**
 * The systems of the peers benchmark behind one interface: each ingests the same stream of
 * precomputed vectors, answers top-k vector searches (optionally with a `group` metadata filter)
 * by document index, and reopens from what it persisted when it persists anything.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Document } from "@langchain/core/documents";
import type { HierarchicalNSW } from "hnswlib-node";
import type { StreamBatch, StreamQuery } from "./data.js";

// Each system's libraries are imported only by the process that runs it (a clean resident size).

/** The names of the systems, in table order. */
export const SYSTEMS = ["loci", "floor", "exact", "langchain", "llamaindex"] as const;
/** A system name. */
export type SystemName = (typeof SYSTEMS)[number];

/** Human-readable names of the systems. */
export const SYSTEM_LABELS: Record<SystemName, string> = {
  loci: "Loci (in-process)",
  floor: "raw hnswlib-node + flexsearch (floor)",
  exact: "exact brute force (truth)",
  langchain: "LangChain MemoryVectorStore",
  llamaindex: "LlamaIndex SimpleVectorStore",
};

/** One system under test. Results are document indices (0 … n − 1), best first. */
export interface PeerSystem {
  ingest(batch: StreamBatch): Promise<void>;
  search(q: StreamQuery, k: number, filtered: boolean): Promise<number[]>;
  /** Resolves when background indexing has caught up (systems that index in the background). */
  indexed?(): Promise<void>;
  /** Vector + keyword search (only systems that have both sides). */
  hybrid?(q: StreamQuery, k: number): Promise<number[]>;
  /**
   * Persists (untimed) and returns a function that reopens from disk; the caller times it together
   * with the first search after it.
   */
  persist?(): Promise<() => Promise<void>>;
  /**
   * The floor's search over this system's own ANN graph, loaded from its snapshot into a raw hnswlib
   * index (Loci only, after `persist`): timed interleaved with {@link PeerSystem.search} in one
   * process, the two walk the same graph with the same beam, so their ratio is what the memory layer
   * adds, free of the run-to-run noise of separate processes. Results are document indices.
   */
  twin?(): Promise<FloorTwin | null>;
  close(): Promise<void>;
}

/** A raw hnswlib index searched as the floor searches (see {@link PeerSystem.twin}). */
export interface FloorTwin {
  search(q: StreamQuery, k: number): number[];
  dispose(): void;
}

/** The floor's top-k vector search: one `searchKnn` call (with the conversion it needs). */
function floorSearch(
  index: HierarchicalNSW,
  q: StreamQuery,
  k: number,
  filter?: (label: number) => boolean,
): number[] {
  return index.searchKnn(Array.from(q.vector), k, filter).neighbors;
}

/** hnswlib parameters shared by Loci's defaults and the floor (same graph, same search effort). */
const HNSW = { m: 16, efConstruction: 100, ef: 64 };

async function openLoci(dir: string, dims: number, n: number): Promise<PeerSystem> {
  const { FunctionEmbedder, Loci } = await import("@loci/engine");
  const embedder = new FunctionEmbedder({
    id: "bench-precomputed",
    dimensions: dims,
    embed: () => {
      throw new Error("the benchmark passes precomputed vectors");
    },
  });
  let loci = await Loci.open({ dataDir: dir, embedder });
  const ns = "bench";
  const indices = (rs: { memory: { id: string } }[]) => rs.map((r) => Number(r.memory.id.slice(1)));
  const search = async (q: StreamQuery, k: number, filtered: boolean) =>
    indices(
      await loci.memory.search({
        namespace: ns,
        query: "",
        queryEmbedding: q.vector,
        mode: "vector",
        limit: k,
        ...(filtered ? { metadataFilter: { group: q.group } } : {}),
      }),
    );
  return {
    async ingest(b) {
      await loci.memory.addMany({
        namespace: ns,
        memories: b.texts.map((content, j) => ({
          id: `m${b.start + j}`,
          content,
          embedding: b.vectors[j]!,
          metadata: { ...b.metadata[j]! },
        })),
      });
    },
    search,
    indexed: () => loci.whenIndexed({ namespace: ns }),
    async hybrid(q, k) {
      return indices(
        await loci.memory.search({ namespace: ns, query: q.text, queryEmbedding: q.vector, limit: k }),
      );
    },
    async persist() {
      await loci.close();
      return async () => {
        loci = await Loci.open({ dataDir: dir, embedder });
      };
    },
    async twin() {
      // Loci's beam (engine `searchBeam`): the whole graph up to 1,024 memories, then the floor's 64 up
      // to 100,000; past that Loci widens it, and a twin at the floor's beam would not be the same walk.
      const indexes = join(dir, "tenants", "default", "indexes");
      const file = readdirSync(indexes)
        .map((d) => join(indexes, d, "vectors.hnsw"))
        .find((f) => existsSync(f));
      if (n > 100_000 || !file) return null;
      const { HierarchicalNSW } = (await import("hnswlib-node")).default;
      const index = new HierarchicalNSW("ip", dims);
      index.readIndexSync(file, true);
      index.setEf(n <= 1024 ? Math.max(HNSW.ef, n) : HNSW.ef);
      return {
        // Labels are Loci's seqs, which count from 1 in ingest order (the pairing's agreement checks it).
        search: (q, k) => floorSearch(index, q, k).map((seq) => seq - 1),
        dispose: () => index.initIndex({ maxElements: 1, m: 2, efConstruction: 2, randomSeed: 1 }),
      };
    },
    close: () => loci.close(),
  };
}

async function openFloor(dir: string, dims: number, n: number): Promise<PeerSystem> {
  const { HierarchicalNSW } = (await import("hnswlib-node")).default;
  const { Encoder, Index } = await import("flexsearch");
  let index = new HierarchicalNSW("cosine", dims);
  index.initIndex({ maxElements: n, m: HNSW.m, efConstruction: HNSW.efConstruction, randomSeed: 100 });
  index.setEf(HNSW.ef);
  const text = new Index({
    tokenize: "strict",
    encoder: new Encoder({ normalize: false, dedupe: false, numeric: false, split: " " }),
  });
  const groups = new Uint8Array(n);
  return {
    async ingest(b) {
      for (let j = 0; j < b.texts.length; j++) {
        index.addPoint(Array.from(b.vectors[j]!), b.start + j);
        text.add(b.start + j, b.texts[j]!);
        groups[b.start + j] = b.metadata[j]!.group;
      }
    },
    async search(q, k, filtered) {
      const g = q.group;
      return floorSearch(index, q, k, filtered ? (label: number) => groups[label] === g : undefined);
    },
    async hybrid(q, k) {
      // The floor of a hybrid search: both candidate lists (4·k each, as Loci takes), no scoring.
      const hits = index.searchKnn(Array.from(q.vector), 4 * k).neighbors;
      text.search(q.text, { limit: 4 * k, suggest: true });
      return hits.slice(0, k);
    },
    async persist() {
      const file = join(dir, "floor.hnsw");
      index.writeIndexSync(file);
      return async () => {
        index = new HierarchicalNSW("cosine", dims);
        index.readIndexSync(file);
        index.setEf(HNSW.ef);
      };
    },
    async close() {},
  };
}

/** The top `k` of `scores` (indices), by a bounded insertion list. */
function topK(n: number, k: number, score: (i: number) => number, keep: (i: number) => boolean): number[] {
  const best: { i: number; s: number }[] = [];
  for (let i = 0; i < n; i++) {
    if (!keep(i)) continue;
    const s = score(i);
    if (best.length === k && s <= best[k - 1]!.s) continue;
    let at = best.length === k ? k - 1 : best.length;
    if (best.length < k) best.push({ i, s });
    while (at > 0 && best[at - 1]!.s < s) {
      best[at] = best[at - 1]!;
      at--;
    }
    best[at] = { i, s };
  }
  return best.map((b) => b.i);
}

async function openExact(dir: string, dims: number, n: number): Promise<PeerSystem> {
  let data = new Float32Array(n * dims);
  const groups = new Uint8Array(n);
  const dot = (q: Float32Array, i: number) => {
    let s = 0;
    const o = i * dims;
    for (let d = 0; d < dims; d++) s += q[d]! * data[o + d]!;
    return s;
  };
  return {
    async ingest(b) {
      b.vectors.forEach((v, j) => {
        data.set(v, (b.start + j) * dims);
        groups[b.start + j] = b.metadata[j]!.group;
      });
    },
    async search(q, k, filtered) {
      // Vectors are unit length, so the dot product is the cosine similarity.
      return topK(n, k, (i) => dot(q.vector, i), filtered ? (i) => groups[i] === q.group : () => true);
    },
    async persist() {
      const file = join(dir, "exact.f32");
      writeFileSync(file, data);
      return async () => {
        const buf = readFileSync(file);
        data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      };
    },
    async close() {},
  };
}

const precomputed = () => {
  throw new Error("the benchmark passes precomputed vectors");
};

async function openLangchain(): Promise<PeerSystem> {
  const { MemoryVectorStore } = await import("@langchain/classic/vectorstores/memory");
  const { Document } = await import("@langchain/core/documents");
  const { Embeddings } = await import("@langchain/core/embeddings");
  // LangChain needs an embeddings object; the benchmark only passes vectors, so it is never called.
  class PrecomputedEmbeddings extends Embeddings {
    embedDocuments = precomputed;
    embedQuery = precomputed;
  }
  const store = new MemoryVectorStore(new PrecomputedEmbeddings({}));
  return {
    async ingest(b) {
      const docs = b.texts.map(
        (pageContent, j) => new Document({ pageContent, metadata: b.metadata[j]!, id: String(b.start + j) }),
      );
      await store.addVectors(
        b.vectors.map((v) => Array.from(v)),
        docs,
      );
    },
    async search(q, k, filtered) {
      const g = q.group;
      const filter = filtered ? (d: Document) => d.metadata.group === g : undefined;
      const hits = await store.similaritySearchVectorWithScore(Array.from(q.vector), k, filter);
      return hits.map(([d]) => Number(d.id));
    },
    async close() {},
  };
}

async function openLlamaindex(dir: string): Promise<PeerSystem> {
  const { SimpleVectorStore } = await import("llamaindex/vector-store");
  const { NodeRelationship, TextNode } = await import("@llamaindex/core/schema");
  const { VectorStoreQueryMode } = await import("@llamaindex/core/vector-store");
  const { BaseEmbedding } = await import("@llamaindex/core/embeddings");
  class PrecomputedEmbedding extends BaseEmbedding {
    // biome-ignore lint/complexity/noUselessConstructor: BaseEmbedding's constructor is protected
    constructor() {
      super();
    }
    getTextEmbedding = precomputed;
  }
  const embedModel = new PrecomputedEmbedding();
  let store = new SimpleVectorStore({ embedModel });
  const query = async (q: StreamQuery, k: number, filtered: boolean) => {
    const res = await store.query({
      queryEmbedding: Array.from(q.vector),
      similarityTopK: k,
      mode: VectorStoreQueryMode.DEFAULT,
      ...(filtered ? { filters: { filters: [{ key: "group", value: q.group, operator: "==" }] } } : {}),
    });
    return res.ids.map(Number);
  };
  return {
    async ingest(b) {
      await store.add(
        b.texts.map(
          (text, j) =>
            new TextNode({
              id_: String(b.start + j),
              text,
              metadata: { ...b.metadata[j]! },
              embedding: Array.from(b.vectors[j]!),
              // Metadata is stored (and filterable) only for nodes with a source document.
              relationships: { [NodeRelationship.SOURCE]: { nodeId: `doc-${b.start + j}`, metadata: {} } },
            }),
        ),
      );
    },
    search: query,
    async persist() {
      mkdirSync(join(dir, "llamaindex"), { recursive: true });
      await store.persist(join(dir, "llamaindex", "vector_store.json"));
      return async () => {
        store = await SimpleVectorStore.fromPersistDir(join(dir, "llamaindex"), embedModel);
      };
    },
    async close() {},
  };
}

/** Opens a fresh instance of a system over an empty directory. */
export async function openSystem(
  name: SystemName,
  opts: { dir: string; dims: number; n: number },
): Promise<PeerSystem> {
  switch (name) {
    case "loci":
      return openLoci(opts.dir, opts.dims, opts.n);
    case "floor":
      return openFloor(opts.dir, opts.dims, opts.n);
    case "exact":
      return openExact(opts.dir, opts.dims, opts.n);
    case "langchain":
      return openLangchain();
    case "llamaindex":
      return openLlamaindex(opts.dir);
  }
}
