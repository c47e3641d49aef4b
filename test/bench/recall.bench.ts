/**
 * Retrieval-quality benchmark for long-conversation memory (no LLM): evidence recall@k and hit@k
 * per question category, for every search configuration in one run. See `test/bench/README.md`.
 *
 * Run: `pnpm bench:recall [--data <LoCoMo file | REALTALK dir>] [--limit <conversations>]
 *       [--embedder use-lite|hash] [--only <name substring,…>] [--out <dir>]`
 * Default data: ../shared/data/realtalk beside the clone (or REALTALK_DIR). Embeddings are cached
 * under test/bench/.cache/ (gitignored), keyed by model and text.
 *
 * @module
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { HashEmbedder, UseLiteEmbedder } from "@loci/engine";
import { RECALL_CONFIGS } from "./recall/configs.js";
import { loadDataset } from "./recall/datasets.js";
import { DiskCachedEmbedder } from "./recall/embed-cache.js";
import { hitTable, recallChart, recallTable, summaryLine } from "./recall/report.js";
import { runRecall } from "./recall/run.js";

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    limit: { type: "string" },
    embedder: { type: "string", default: "use-lite" },
    only: { type: "string" },
    out: { type: "string", default: join(import.meta.dirname, "results") },
  },
});
const data =
  values.data ?? process.env.REALTALK_DIR ?? join(import.meta.dirname, "../../../shared/data/realtalk");
const dataset = loadDataset(data, values.limit === undefined ? {} : { limit: Number(values.limit) });
const inner = values.embedder === "hash" ? new HashEmbedder() : new UseLiteEmbedder();
const embedder = new DiskCachedEmbedder({ inner, dir: join(import.meta.dirname, ".cache", "embeddings") });
const all = process.env.RECALL_CONFIGS_FILE
  ? (JSON.parse(readFileSync(process.env.RECALL_CONFIGS_FILE, "utf8")) as typeof RECALL_CONFIGS)
  : RECALL_CONFIGS;
const only = values.only?.split(",").map((s) => s.trim().toLowerCase());
const configs = only ? all.filter((c) => only.some((o) => c.name.toLowerCase().includes(o))) : all;

const run = await runRecall({
  dataset,
  embedder,
  configs,
  embeddedTexts: () => embedder.misses,
  log: (line) => console.error(line),
});
await embedder.close();

console.log(recallTable(run));
console.log();
console.log(hitTable(run));
console.log(`\n${summaryLine(run)}`);
mkdirSync(values.out!, { recursive: true });
const base = `recall-${dataset.name.replace(/\.json$/, "").replace(/[^A-Za-z0-9._-]+/g, "_")}`;
writeFileSync(join(values.out!, `${base}.json`), `${JSON.stringify(run, null, 2)}\n`);
writeFileSync(join(values.out!, `${base}.svg`), recallChart(run));
console.log(`results: ${join(values.out!, `${base}.json`)} and .svg`);
