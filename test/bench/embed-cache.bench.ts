/**
 * The embedding cache, side by side: hybrid searches of a conversation's questions, each asked
 * several times, on an engine with the default in-memory embedding cache and on one without it.
 *
 * Run: `pnpm bench:embed-cache [--data <LoCoMo file | REALTALK dir>] [--embedder use-lite|hash]
 *       [--repeats 3] [--questions 100] [--out <dir>]`
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { HashEmbedder, UseLiteEmbedder } from "@loci/engine";
import { embedCacheChart, embedCacheSummary, embedCacheTable, runEmbedCache } from "./embed-cache-run.js";
import { loadDataset } from "./recall/datasets.js";
import { writeResults } from "./report.js";

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    embedder: { type: "string", default: "use-lite" },
    repeats: { type: "string", default: "3" },
    questions: { type: "string", default: "100" },
    out: { type: "string", default: join(import.meta.dirname, "results") },
  },
});
const data =
  values.data ?? process.env.REALTALK_DIR ?? join(import.meta.dirname, "../../../shared/data/realtalk");
const embedder = values.embedder === "hash" ? new HashEmbedder({ dimensions: 512 }) : new UseLiteEmbedder();
const result = await runEmbedCache({
  dataset: loadDataset(data, { limit: 1 }),
  embedder,
  repeats: Number(values.repeats),
  questions: Number(values.questions),
});
await embedder.close?.();
console.log(embedCacheTable(result));
console.log(`\n${embedCacheSummary(result)}`);
const files = writeResults(values.out!, "embed-cache", result, { latency: embedCacheChart(result) });
console.log(`\nwrote ${files.join(", ")}`);
