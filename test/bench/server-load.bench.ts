/**
 * Server under load: autocannon against `loci serve` on 127.0.0.1 with preloaded memories, hybrid
 * searches and single durable adds at several concurrencies, plus one row with the default USE-lite
 * embedder.
 *
 * Run: `pnpm bench:server [--size 100000] [--concurrency 1,16,64] [--duration 10]
 *   [--real-size 100000] [--real-concurrency 16] [--no-real] [--out test/bench/results]`
 */
import { parseArgs } from "node:util";
import { runServerLoad } from "./server-load-run.js";

const { values } = parseArgs({
  options: {
    size: { type: "string", default: "100000" },
    concurrency: { type: "string", default: "1,16,64" },
    duration: { type: "string", default: "10" },
    "real-size": { type: "string", default: "100000" },
    "real-concurrency": { type: "string", default: "16" },
    "no-real": { type: "boolean", default: false },
    out: { type: "string" },
  },
});
await runServerLoad({
  size: Number(values.size),
  concurrency: values.concurrency.split(",").map(Number),
  duration: Number(values.duration),
  realEmbedder: values["no-real"]
    ? null
    : { concurrency: Number(values["real-concurrency"]), size: Number(values["real-size"]) },
  ...(values.out ? { outDir: values.out } : {}),
});
