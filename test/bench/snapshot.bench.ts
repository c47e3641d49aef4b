/**
 * Event-loop stalls while an ANN snapshot is written (see `snapshot-run.ts`).
 *
 * Run: `pnpm bench:snapshot [--size 100000] [--repeats 3] [--out <dir>]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { runSnapshotStall } from "./snapshot-run.js";

const { values } = parseArgs({
  options: {
    size: { type: "string", default: "100000" },
    repeats: { type: "string", default: "3" },
    out: { type: "string" },
  },
});
await runSnapshotStall({
  size: Number(values.size),
  repeats: Number(values.repeats),
  ...(values.out ? { outDir: values.out } : {}),
});
