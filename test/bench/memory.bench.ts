/**
 * Resident memory of one namespace filling up: `memory-run.ts`.
 *
 * Run: `pnpm bench:memory [--size 300000] [--dims 512] [--every 100000] [--settle-s 15] [--out <dir>]`
 * (the script runs Node with `--expose-gc`, so each sample follows a full garbage collection).
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { memoryChart, memoryTable, runMemory } from "./memory-run.js";
import { writeResults } from "./report.js";

const { values } = parseArgs({
  options: {
    size: { type: "string", default: "300000" },
    dims: { type: "string", default: "512" },
    every: { type: "string", default: "100000" },
    "settle-s": { type: "string", default: "15" },
    out: { type: "string", default: join(import.meta.dirname, "results") },
  },
});
const result = await runMemory({
  size: Number(values.size),
  dims: Number(values.dims),
  every: Number(values.every),
  settleMs: Number(values["settle-s"]) * 1000,
});
console.log(memoryTable(result));
if (!result.gcForced) console.log("\n(no --expose-gc: samples include garbage not yet collected)");
const name = `memory-${result.size}-${result.dims}d`;
const files = writeResults(values.out!, name, result, { rss: memoryChart(result) });
console.log(`\nwrote ${files.join(", ")}`);
