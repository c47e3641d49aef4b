/**
 * The ANN beam sweep (see `beam-run.ts`).
 *
 * Run: `pnpm bench:beam [--size 300000] [--beams 64,128,256,512] [--queries 100] [--m 16] [--ef-construction 100] [--out test/bench/results]`
 */
import { parseArgs } from "node:util";
import { runBeamSweep } from "./beam-run.js";

const { values } = parseArgs({
  options: {
    size: { type: "string", default: "300000" },
    beams: { type: "string", default: "64,128,256,512" },
    queries: { type: "string", default: "100" },
    m: { type: "string", default: "16" },
    "ef-construction": { type: "string", default: "100" },
    out: { type: "string" },
  },
});
runBeamSweep({
  size: Number(values.size),
  beams: values.beams.split(",").map(Number),
  queries: Number(values.queries),
  m: Number(values.m),
  efConstruction: Number(values["ef-construction"]),
  ...(values.out ? { outDir: values.out } : {}),
});
