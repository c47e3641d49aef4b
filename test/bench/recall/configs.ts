/**
 * The configurations the recall benchmark compares in one run: the plain modes with every extra
 * off, each extra alone on top of the default hybrid, and the engine's defaults.
 *
 * @module
 */
import type { SearchOptions } from "@loci/engine";
import type { RecallConfig } from "./run.js";

const PLAIN: Partial<SearchOptions> = { neighbors: false, time: false };

/** Every configuration, baselines first. */
export const RECALL_CONFIGS: RecallConfig[] = [
  { name: "keyword (BM25)", opts: { ...PLAIN, mode: "keyword" } },
  { name: "vector", opts: { ...PLAIN, mode: "vector" } },
  { name: "hybrid weighted α=0.5", opts: { ...PLAIN, fusion: "weighted", vectorWeight: 0.5 } },
  { name: "hybrid weighted α=0.7", opts: { ...PLAIN, fusion: "weighted", vectorWeight: 0.7 } },
  { name: "hybrid RRF", opts: { ...PLAIN, fusion: "rrf" } },
  { name: "hybrid + neighbours", opts: { time: false } },
  { name: "hybrid + time", opts: { neighbors: false } },
  { name: "hybrid + graph (speakers)", opts: { ...PLAIN, graph: { depth: 0, weight: 0.2 } } },
  { name: "defaults", opts: {} },
];
