/**
 * Knowledge-graph benchmark: builds a 100k-edge graph (20k entities, random typed edges from a seeded
 * PRNG) through the engine API (`knowledgeGraph.addEdges`, durable batches of 1,000), then measures
 * `traverse` at depth 1/2/3 from random starts, side by side in one run with the floor — a raw
 * graphology BFS (graphology-traversal `bfsFromNode` with a depth cut-off) over an identical
 * in-memory `MultiDirectedGraph` — and the cold load (reopen + first traverse).
 *
 * Run: `pnpm bench:graph` (BENCH_ENTITIES=20000, BENCH_EDGES=100000, BENCH_STARTS=500).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FunctionEmbedder, Loci } from "@loci/engine";
import graphology from "graphology";
import traversal from "graphology-traversal";
import { percentile, rng } from "./data.js";
import { markdownTable } from "./report.js";

const { MultiDirectedGraph } = graphology;
const { bfsFromNode } = traversal;

const ENTITIES = Number(process.env.BENCH_ENTITIES ?? 20_000);
const EDGES = Number(process.env.BENCH_EDGES ?? 100_000);
const STARTS = Number(process.env.BENCH_STARTS ?? 500);
const BATCH = 1_000;
const NS = "graph-bench";
const ENTITY_TYPES = ["person", "company", "product", "project", "document"];
const EDGE_TYPES = [
  "relates_to",
  "works_at",
  "part_of",
  "depends_on",
  "considering",
  "mentions",
  "owns",
  "blocks",
];

// --- data: entities and distinct (source, target, type) edges from a seeded PRNG
const r = rng(7);
const entities = Array.from({ length: ENTITIES }, (_, i) => ({
  type: ENTITY_TYPES[i % ENTITY_TYPES.length]!,
  name: `Entity ${i}`,
}));
const pick = () => Math.floor(r() * ENTITIES);
const edges: { s: number; t: number; type: string }[] = [];
const seen = new Set<string>();
while (edges.length < EDGES) {
  const e = { s: pick(), t: pick(), type: EDGE_TYPES[Math.floor(r() * EDGE_TYPES.length)]! };
  const key = `${e.s}|${e.t}|${e.type}`;
  if (e.s === e.t || seen.has(key)) continue;
  seen.add(key);
  edges.push(e);
}
const starts = Array.from({ length: STARTS }, pick);

// --- engine: build through the API
const dataDir = mkdtempSync(join(tmpdir(), "loci-graph-bench-"));
const embedder = new FunctionEmbedder({
  id: "bench-none",
  dimensions: 8,
  embed: () => {
    throw new Error("the graph benchmark embeds nothing");
  },
});
let loci = await Loci.open({ dataDir, embedder, sweepIntervalMs: 0 });
const tBuild = performance.now();
for (let i = 0; i < EDGES; i += BATCH) {
  await loci.knowledgeGraph.addEdges({
    namespace: NS,
    edges: edges.slice(i, i + BATCH).map((e) => ({
      source: entities[e.s]!,
      target: entities[e.t]!,
      edgeType: e.type,
      metadata: { w: e.s % 10 },
    })),
  });
}
const buildMs = performance.now() - tBuild;

// --- floor: the identical graph in raw graphology
const raw = new MultiDirectedGraph();
const rawKey = (i: number) => `${entities[i]!.type}:entity ${i}`;
const tRaw = performance.now();
for (let i = 0; i < ENTITIES; i++) raw.addNode(rawKey(i));
for (const e of edges)
  raw.addEdgeWithKey(`${e.s}|${e.t}|${e.type}`, rawKey(e.s), rawKey(e.t), { type: e.type });
const rawBuildMs = performance.now() - tRaw;

// --- cold load: reopen, first traverse (loads the graph from SQLite)
await loci.close();
const tLoad = performance.now();
loci = await Loci.open({ dataDir, embedder, sweepIntervalMs: 0 });
await loci.knowledgeGraph.traverse({ namespace: NS, start: entities[starts[0]!]!, maxDepth: 1 });
const loadMs = performance.now() - tLoad;

async function latencies(fn: (i: number) => unknown): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < starts.length; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

interface Row {
  op: string;
  loci: string;
  floor: string;
  ratio: string;
}
const ms = (x: number) => `${x.toFixed(3)} ms`;
const rows: Row[] = [
  {
    op: `build ${EDGES.toLocaleString("en-US")} edges`,
    loci: `${Math.round((EDGES / buildMs) * 1000).toLocaleString("en-US")} edges/s (durable, batches of ${BATCH})`,
    floor: `${Math.round((EDGES / rawBuildMs) * 1000).toLocaleString("en-US")} edges/s (in memory)`,
    ratio: `${(buildMs / rawBuildMs).toFixed(1)}× time`,
  },
  { op: "reopen + first traverse (load from disk)", loci: ms(loadMs), floor: "–", ratio: "–" },
];

for (const depth of [1, 2, 3]) {
  // Warm up both paths (JIT), then measure.
  for (let i = 0; i < 50; i++) {
    await loci.knowledgeGraph.traverse({ namespace: NS, start: entities[starts[i]!]!, maxDepth: depth });
    bfsFromNode(raw, rawKey(starts[i]!), (_key, _attrs, d) => d >= depth);
  }
  let reached = 0;
  const lociTimes = await latencies(async (i) => {
    const t = await loci.knowledgeGraph.traverse({
      namespace: NS,
      start: entities[starts[i]!]!,
      maxDepth: depth,
      limit: 10_000,
    });
    reached += t.nodes.length;
  });
  let rawReached = 0;
  const rawTimes = await latencies((i) =>
    bfsFromNode(raw, rawKey(starts[i]!), (_key, _attrs, d) => {
      rawReached++;
      return d >= depth;
    }),
  );
  if (reached !== rawReached)
    throw new Error(`depth ${depth}: engine reached ${reached}, raw BFS ${rawReached}`);
  for (const p of [50, 99]) {
    const a = percentile(lociTimes, p);
    const b = percentile(rawTimes, p);
    rows.push({
      op: `traverse depth ${depth} p${p} (avg ${Math.round(reached / starts.length)} nodes)`,
      loci: ms(a),
      floor: ms(b),
      ratio: `${(a / b).toFixed(1)}×`,
    });
  }
}
await loci.close();
rmSync(dataDir, { recursive: true, force: true });

const header = ["operation", "Loci engine", "floor (raw graphology bfsFromNode)", "Loci / floor"];
console.log(
  markdownTable(
    header,
    rows.map((x) => [x.op, x.loci, x.floor, x.ratio]),
  ),
);
console.log(
  `\n${ENTITIES.toLocaleString("en-US")} entities, ${EDGES.toLocaleString("en-US")} edges (${EDGE_TYPES.length} types), ` +
    `direction "out", ${STARTS} random starts per depth, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
);
