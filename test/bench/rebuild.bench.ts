/**
 * Searches and adds around an online graph rebuild (see `rebuild-run.ts`).
 *
 * Run: `pnpm bench:rebuild [--size 100000] [--queries 200] [--m 32] [--ef-construction 200] [--out <dir>]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { runRebuild } from "./rebuild-run.js";

const { values } = parseArgs({
  options: {
    size: { type: "string", default: "100000" },
    queries: { type: "string", default: "200" },
    m: { type: "string", default: "32" },
    "ef-construction": { type: "string", default: "200" },
    out: { type: "string" },
  },
});
await runRebuild({
  size: Number(values.size),
  queries: Number(values.queries),
  m: Number(values.m),
  efConstruction: Number(values["ef-construction"]),
  ...(values.out ? { outDir: values.out } : {}),
});
