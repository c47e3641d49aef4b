/**
 * Speed and scale against peers: Loci in-process, LangChain's MemoryVectorStore, LlamaIndex's
 * SimpleVectorStore, raw hnswlib-node + flexsearch (the floor) and an exact brute force (the truth
 * for recall), over the same generated 512-d vectors, texts and metadata, each in its own process.
 *
 * Run: `pnpm bench:peers [--sizes 10000,100000] [--systems loci,floor,exact,langchain,llamaindex]
 *   [--queries 200] [--budget-s 900] [--budget-mib 12000] [--settle-s 15] [--out test/bench/results]`
 */
import { parseArgs } from "node:util";
import { SYSTEMS, type SystemName } from "./peer-systems.js";
import { runPeers } from "./peers-run.js";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "10000,100000" },
    systems: { type: "string", default: SYSTEMS.join(",") },
    queries: { type: "string", default: "200" },
    "budget-s": { type: "string", default: "900" },
    "budget-mib": { type: "string", default: "12000" },
    "settle-s": { type: "string", default: "15" },
    out: { type: "string" },
  },
});
const systems = values.systems.split(",") as SystemName[];
for (const s of systems) if (!SYSTEMS.includes(s)) throw new Error(`unknown system ${s}`);
await runPeers({
  sizes: values.sizes.split(",").map(Number),
  systems,
  queries: Number(values.queries),
  budgetSeconds: Number(values["budget-s"]),
  budgetMiB: Number(values["budget-mib"]),
  settleSeconds: Number(values["settle-s"]),
  ...(values.out ? { outDir: values.out } : {}),
});
