/**
 * The configurations the recall benchmark compares in one run: the plain modes with every extra
 * off, each extra alone on top of hybrid search, the engine's defaults, and the best combination.
 *
 * @module
 */
import type { SearchOptions } from "@loci/engine";
import type { RecallConfig } from "./run.js";

const PLAIN: Partial<SearchOptions> = { neighbors: false, time: false };
/** Graph-aware recall from the `person` entity each turn is linked to (its speaker). */
const SPEAKERS: SearchOptions["graph"] = { depth: 0, weight: 0.2 };
/** The same, re-ranking only the candidates the other sides found (no graph-linked memory joins). */
const SPEAKER_RERANK: SearchOptions["graph"] = { ...SPEAKERS, expand: false };

/** Namespaces ingested with sentence vectors (a second copy of every conversation). */
const SENTENCES = { sentenceVectors: true };

/** Every configuration, baselines first. */
export const RECALL_CONFIGS: RecallConfig[] = [
  { name: "keyword (BM25)", opts: { ...PLAIN, mode: "keyword" } },
  { name: "keyword + context", opts: { ...PLAIN, mode: "keyword", neighbors: {} } },
  { name: "vector", opts: { ...PLAIN, mode: "vector" } },
  { name: "hybrid weighted α=0.5", opts: { ...PLAIN, fusion: "weighted", vectorWeight: 0.5 } },
  { name: "hybrid weighted α=0.7", opts: { ...PLAIN, fusion: "weighted", vectorWeight: 0.7 } },
  { name: "hybrid RRF", opts: { ...PLAIN, fusion: "rrf" } },
  { name: "hybrid + context (default)", opts: {} },
  { name: "hybrid + context, window 2", opts: { neighbors: { window: 2 } } },
  { name: "hybrid + time boost", opts: { neighbors: false, time: {} } },
  { name: "hybrid + time filter", opts: { neighbors: false, time: { mode: "filter" } } },
  { name: "hybrid + recency 0.1", opts: { ...PLAIN, recencyWeight: 0.1 } },
  { name: "hybrid + graph (speakers)", opts: { ...PLAIN, graph: SPEAKERS } },
  { name: "default + graph (speakers)", opts: { graph: SPEAKERS } },
  { name: "default + graph + time", opts: { graph: SPEAKERS, time: {} } },
  { name: "default + graph re-rank (speakers)", opts: { graph: SPEAKER_RERANK } },
  { name: "vector + sentence vectors", opts: { ...PLAIN, mode: "vector" }, namespace: SENTENCES },
  { name: "default + sentence vectors", opts: {}, namespace: SENTENCES },
  { name: "default + sentences + graph re-rank", opts: { graph: SPEAKER_RERANK }, namespace: SENTENCES },
  {
    name: "sentences + re-rank, α 0.6, β 0.25",
    opts: { graph: SPEAKER_RERANK, vectorWeight: 0.6, neighbors: { weight: 0.25 } },
    namespace: SENTENCES,
  },
  { name: "default + length prior", opts: { lengthPrior: {} } },
  {
    name: "best + length prior 0.3 / 30",
    opts: {
      graph: SPEAKER_RERANK,
      vectorWeight: 0.6,
      neighbors: { weight: 0.25 },
      lengthPrior: { weight: 0.3, terms: 30 },
    },
    namespace: SENTENCES,
  },
];
