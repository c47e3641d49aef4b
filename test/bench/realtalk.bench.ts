/**
 * Retrieval quality on REALTALK (10 real 21-day chats, 728 questions with evidence turns), scored
 * without an LLM: evidence recall@k and hit@k per search mode and fusion, with the offline USE-lite
 * embedder. This is the benchmark that chose the default hybrid fusion.
 *
 * Data: ../shared/data/realtalk (REALTALK_DIR), never copied into the repository.
 * Run: `pnpm bench:realtalk`.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Loci, type SearchOptions, UseLiteEmbedder } from "@loci/engine";
import { percentile } from "./data.js";

const DIR = process.env.REALTALK_DIR ?? join(import.meta.dirname, "../../../shared/data/realtalk");
if (!existsSync(DIR)) {
  console.error(`REALTALK data not found at ${DIR} (set REALTALK_DIR)`);
  process.exit(1);
}

interface Turn {
  clean_text: string;
  speaker: string;
  date_time: string;
  dia_id: string;
}
interface QA {
  question: string;
  evidence: string | string[];
  category: number;
}

function parseTime(s: string): number {
  const m = /^(\d{2})\.(\d{2})\.(\d{4}),\s*(\d{2}):(\d{2}):(\d{2})$/.exec(s.trim());
  return m ? Date.UTC(+m[3]!, +m[2]! - 1, +m[1]!, +m[4]!, +m[5]!, +m[6]!) : Date.UTC(2024, 0, 1);
}

/** Evidence ids: ranges within a day are expanded; odd forms are split into their D<day>:<k> parts. */
function evidenceIds(raw: string | string[], known: Set<string>): string[] {
  const text = Array.isArray(raw) ? raw.join(";") : String(raw);
  const out = new Set<string>();
  for (const m of text.matchAll(/D(\d+):(\d+)(?:\s*-\s*(?:D(\d+):)?(\d+))?/g)) {
    const day = m[1]!;
    const from = Number(m[2]);
    const to = m[4] !== undefined && (m[3] === undefined || m[3] === day) ? Number(m[4]) : from;
    for (let k = from; k <= Math.min(to, from + 200); k++) out.add(`D${day}:${k}`);
  }
  return [...out].filter((id) => known.has(id));
}

interface Variant {
  name: string;
  opts: Partial<SearchOptions>;
}
const VARIANTS: Variant[] = [
  { name: "keyword (BM25)", opts: { mode: "keyword" } },
  { name: "vector (USE-lite)", opts: { mode: "vector" } },
  { name: "hybrid weighted α=0.3", opts: { fusion: "weighted", vectorWeight: 0.3 } },
  { name: "hybrid weighted α=0.5 (default)", opts: { fusion: "weighted", vectorWeight: 0.5 } },
  { name: "hybrid weighted α=0.7", opts: { fusion: "weighted", vectorWeight: 0.7 } },
  { name: "hybrid RRF (k=60)", opts: { fusion: "rrf" } },
];
const KS = [5, 10, 20];

const dataDir = mkdtempSync(join(tmpdir(), "loci-realtalk-"));
const embedder = new UseLiteEmbedder();
const loci = await Loci.open({ dataDir, embedder });
const files = readdirSync(DIR)
  .filter((f) => f.endsWith(".json"))
  .sort();
const questions: { ns: string; q: string; evidence: string[]; category: number; vector?: Float32Array }[] =
  [];
let skipped = 0;
let turns = 0;
const tIngest = performance.now();
for (const [i, file] of files.entries()) {
  const chat = JSON.parse(readFileSync(join(DIR, file), "utf8")) as Record<string, unknown>;
  const ns = `chat-${i + 1}`;
  await loci.namespace.create({ name: ns, config: { reinforceOnAccess: false } });
  const memories = Object.keys(chat)
    .filter((k) => /^session_\d+$/.test(k))
    .flatMap((k) =>
      (chat[k] as Turn[])
        .filter((t) => t.clean_text?.trim())
        .map((t) => ({
          content: `${t.speaker}: ${t.clean_text}`,
          createdAt: parseTime(t.date_time),
          metadata: { session: k, speaker: t.speaker, dia_id: t.dia_id },
          id: `${ns}-${t.dia_id}`,
        })),
    );
  const seen = new Set<string>();
  const unique = memories.filter((m) => !seen.has(m.id) && seen.add(m.id));
  for (let j = 0; j < unique.length; j += 500)
    await loci.memory.addMany({ namespace: ns, memories: unique.slice(j, j + 500) });
  turns += unique.length;
  const known = new Set(unique.map((m) => m.metadata.dia_id));
  for (const qa of chat.qa as QA[]) {
    const evidence = evidenceIds(qa.evidence, known);
    if (evidence.length === 0) skipped++;
    else questions.push({ ns, q: qa.question, evidence, category: qa.category });
  }
}
const ingestMs = performance.now() - tIngest;
const qVectors = await embedder.embed(questions.map((q) => q.q));
questions.forEach((q, i) => {
  q.vector = qVectors[i]!;
});

const rows: string[][] = [];
for (const v of VARIANTS) {
  const recall = new Map<string, number[]>();
  const hits: number[] = [];
  const times: number[] = [];
  for (const q of questions) {
    const t = performance.now();
    const results = await loci.memory.search({
      namespace: q.ns,
      query: q.q,
      queryEmbedding: q.vector!,
      limit: 20,
      ...v.opts,
    });
    times.push(performance.now() - t);
    const ids = results.map((r) => r.memory.metadata.dia_id as string);
    for (const k of KS) {
      const got = new Set(ids.slice(0, k));
      const r = q.evidence.filter((e) => got.has(e)).length / q.evidence.length;
      for (const key of [`all@${k}`, `c${q.category}@${k}`]) recall.set(key, [...(recall.get(key) ?? []), r]);
    }
    hits.push(q.evidence.some((e) => ids.slice(0, 5).includes(e)) ? 1 : 0);
  }
  const mean = (xs: number[] = []) =>
    xs.length ? ((xs.reduce((a, b) => a + b, 0) / xs.length) * 100).toFixed(1) : "–";
  rows.push([
    v.name,
    ...KS.map((k) => mean(recall.get(`all@${k}`))),
    mean(hits),
    ...[1, 2, 3].map((c) => mean(recall.get(`c${c}@10`))),
    `${percentile(times, 50).toFixed(2)} ms`,
  ]);
}
await loci.close();
rmSync(dataDir, { recursive: true, force: true });

const header = [
  "search",
  "recall@5",
  "recall@10",
  "recall@20",
  "hit@5",
  "R@10 multi-hop",
  "R@10 temporal",
  "R@10 inference",
  "p50",
];
const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(" | ")} |`;
console.log(line(header));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const r of rows) console.log(line(r));
console.log(
  `\n${files.length} chats, ${turns} turns ingested in ${(ingestMs / 1000).toFixed(1)} s (embedding included), ` +
    `${questions.length} questions scored, ${skipped} without resolvable evidence left out. Recall in %.`,
);
