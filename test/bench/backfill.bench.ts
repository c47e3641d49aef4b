/**
 * The sentence-vector backfill against writing with the option from the start (see
 * `backfill-run.ts`).
 *
 * Run: `pnpm bench:backfill [--data <LoCoMo file | REALTALK dir>] [--embedder use-lite|hash]
 *       [--conversations 1] [--out <dir>]`
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { HashEmbedder, UseLiteEmbedder } from "@loci/engine";
import { backfillChart, backfillSummary, backfillTable, runBackfill } from "./backfill-run.js";
import { loadDataset } from "./recall/datasets.js";
import { writeResults } from "./report.js";

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    embedder: { type: "string", default: "use-lite" },
    conversations: { type: "string", default: "1" },
    out: { type: "string", default: join(import.meta.dirname, "results") },
  },
});
const data =
  values.data ?? process.env.REALTALK_DIR ?? join(import.meta.dirname, "../../../shared/data/realtalk");
const embedder = values.embedder === "hash" ? new HashEmbedder({ dimensions: 512 }) : new UseLiteEmbedder();
const conversations = Number(values.conversations);
const result = await runBackfill({
  dataset: loadDataset(data, { limit: conversations }),
  embedder,
  conversations,
});
await embedder.close?.();
console.log(backfillTable(result));
console.log(`\n${backfillSummary(result)}`);
const files = writeResults(values.out!, "backfill", result, { time: backfillChart(result) });
console.log(`\nwrote ${files.join(", ")}`);
