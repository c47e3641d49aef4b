/**
 * One system of the peers benchmark in its own process (so its resident memory is its own):
 * ingests the stream, times searches, reopens, and prints one `RESULT <json>` line on stdout.
 * Progress (`PROGRESS <ingested>`) goes to stderr so the parent can report a partial run.
 *
 * Run by `peers.bench.ts`: `node --expose-gc --import tsx --conditions=loci-source peer-child.ts
 *   --system loci --size 10000 --dims 512 --queries 200 --dir /tmp/x`
 */
import { parseArgs } from "node:util";
import { CorpusStream, percentile, type StreamQuery } from "./data.js";
import { openSystem, type SystemName } from "./peer-systems.js";

/** p50 and p99 of a timed phase, ms. */
export interface Latency {
  p50: number;
  p99: number;
}

/** What a child reports. Latencies in ms, memory in MiB. */
export interface ChildResult {
  system: SystemName;
  size: number;
  /** Time until every write was acknowledged (durable). */
  ingestMs: number;
  /** Time until the ANN index also holds everything (= `ingestMs` for systems indexing inline). */
  indexedMs: number;
  rssBaseMiB: number;
  rssMiB: number;
  /** Resident memory after `--settle-s` idle seconds past {@link ChildResult.rssMiB} (GCs forced). */
  settledRssMiB: number;
  peakRssMiB: number;
  search: Latency;
  filtered: Latency;
  hybrid: Latency | null;
  reopenMs: number | null;
  /**
   * Loci's search and the floor's `searchKnn` on the same graph (Loci's snapshot), timed interleaved
   * query by query in this process (see `PeerSystem.twin`); `agreement` is the mean share of Loci's
   * top 10 the raw walk also returned. `null` for other systems and past 100,000 memories.
   */
  paired: { loci: Latency; floor: Latency; ratio: number; agreement: number } | null;
  /** Why persisting or reopening failed (e.g. a store too big to serialise). */
  reopenError: string | null;
  /** Top-10 document indices per query (plain, then filtered). */
  ids: number[][];
  filteredIds: number[][];
}

const { values } = parseArgs({
  options: {
    system: { type: "string" },
    size: { type: "string" },
    dims: { type: "string", default: "512" },
    queries: { type: "string", default: "200" },
    batch: { type: "string", default: "1000" },
    dir: { type: "string" },
    "settle-s": { type: "string", default: "15" },
  },
});
const system = values.system as SystemName;
const size = Number(values.size);
const dims = Number(values.dims);
const batch = Number(values.batch);
const K = 10;
/** Warm-up queries before each timed phase (see {@link timed}). */
const WARMUP_QUERIES = 200;
/** Longest warm-up of a timed phase (brute force at 1M takes seconds a query). */
const WARMUP_MS = 5_000;

const gc = (globalThis as { gc?: () => void }).gc;
const rss = () => {
  gc?.();
  gc?.();
  return process.memoryUsage().rss / 2 ** 20;
};

const stream = new CorpusStream({ n: size, dims });
const queryCount = Number(values.queries);
// Warm-up queries follow the measured ones in the seeded sequence (the measured ones stay the same).
const allQueries = stream.queries(queryCount + WARMUP_QUERIES);
const queries = allQueries.slice(0, queryCount);
const warmup = allQueries.slice(queryCount);
const sys = await openSystem(system, { dir: values.dir!, dims, n: size });
const rssBaseMiB = rss();

let ingestMs = 0;
for (const b of stream.batches(batch)) {
  const t = performance.now();
  await sys.ingest(b);
  ingestMs += performance.now() - t;
  const mem = process.memoryUsage().rss / 2 ** 20;
  process.stderr.write(`PROGRESS ${b.start + b.texts.length} ${ingestMs.toFixed(0)} ${mem.toFixed(0)}\n`);
}
const tIndexed = performance.now();
await sys.indexed?.();
const indexedMs = ingestMs + (performance.now() - tIndexed);
const rssMiB = rss();
// Right after the ingest the JS heap has not shrunk back yet and background work may still hold
// buffers; the resident size a while later (nothing running) is what an idle process holds.
await new Promise((r) => setTimeout(r, Number(values["settle-s"]) * 1000));
const settledRssMiB = rss();

/**
 * Before each timed phase, every system answers up to {@link WARMUP_QUERIES} other queries or runs
 * for {@link WARMUP_MS}, whichever ends first: a JIT-compiled search path (every system but the
 * floor and exact search runs JavaScript per search) is otherwise timed while V8 still interprets it.
 */
async function timed(fn: (q: StreamQuery) => Promise<number[]>) {
  const until = performance.now() + WARMUP_MS;
  for (let i = 0; i < warmup.length && performance.now() < until; i++) await fn(warmup[i]!);
  const ms: number[] = [];
  const ids: number[][] = [];
  for (let i = 0; i < queries.length; i++) {
    const t = performance.now();
    ids.push(await fn(queries[i]!));
    ms.push(performance.now() - t);
  }
  return { ids, p50: percentile(ms, 50), p99: percentile(ms, 99) };
}

/**
 * Loci and its floor twin on one graph, query by query, in alternating order (so neither always runs
 * with the other's data in the CPU caches), after the same warm-up as {@link timed}.
 */
async function pairedPhase(): Promise<ChildResult["paired"]> {
  const twin = await sys.twin!();
  if (!twin) return null;
  const until = performance.now() + WARMUP_MS;
  for (let i = 0; i < warmup.length && performance.now() < until; i++) {
    await sys.search(warmup[i]!, K, false);
    twin.search(warmup[i]!, K);
  }
  const ms = { loci: [] as number[], floor: [] as number[] };
  let agreement = 0;
  for (let i = 0; i < queries.length; i++) {
    const q = queries[i]!;
    const runLoci = async () => {
      const t = performance.now();
      const ids = await sys.search(q, K, false);
      ms.loci.push(performance.now() - t);
      return ids;
    };
    const runFloor = () => {
      const t = performance.now();
      const labels = twin.search(q, K);
      ms.floor.push(performance.now() - t);
      return labels;
    };
    let ids: number[];
    let labels: number[];
    if (i % 2 === 0) {
      ids = await runLoci();
      labels = runFloor();
    } else {
      labels = runFloor();
      ids = await runLoci();
    }
    const twinIds = new Set(labels);
    agreement += ids.filter((id) => twinIds.has(id)).length / Math.max(1, ids.length);
  }
  twin.dispose();
  const loci = { p50: percentile(ms.loci, 50), p99: percentile(ms.loci, 99) };
  const floor = { p50: percentile(ms.floor, 50), p99: percentile(ms.floor, 99) };
  return { loci, floor, ratio: loci.p50 / floor.p50, agreement: agreement / queries.length };
}

const plain = await timed((q) => sys.search(q, K, false));
const filtered = await timed((q) => sys.search(q, K, true));
const hybrid = sys.hybrid ? await timed((q) => sys.hybrid!(q, K)) : null;
let reopenMs: number | null = null;
let reopenError: string | null = null;
if (sys.persist) {
  try {
    const reopen = await sys.persist();
    const t = performance.now();
    await reopen();
    await sys.search(queries[0]!, K, false);
    reopenMs = performance.now() - t;
  } catch (err) {
    reopenError = `${(err as Error).name}: ${(err as Error).message}`.slice(0, 200);
  }
}
// Measured last: the twin holds a second copy of the graph (the resident sizes above are taken).
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
const paired = reopenMs !== null && sys.twin ? await pairedPhase() : null;
await sys.close();

const result: ChildResult = {
  system,
  size,
  ingestMs,
  indexedMs,
  rssBaseMiB,
  rssMiB,
  settledRssMiB,
  peakRssMiB,
  search: { p50: plain.p50, p99: plain.p99 },
  filtered: { p50: filtered.p50, p99: filtered.p99 },
  hybrid: hybrid && { p50: hybrid.p50, p99: hybrid.p99 },
  reopenMs,
  paired,
  reopenError,
  ids: plain.ids,
  filteredIds: filtered.ids,
};
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
