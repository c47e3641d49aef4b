/**
 * The sentence-vector backfill benchmark: each conversation goes into two namespaces, one created
 * with `sentenceVectors: true` and one created without it and switched on afterwards (the engine
 * then backfills it in the background, `engine/sentence-backfill.ts`). It reports the ingest and
 * backfill times and the texts each embedded, and checks that every question's hybrid top 20
 * (memories, order and scores) is the same in both namespaces.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Embedder, Loci } from "@loci/engine";
import { counted } from "./embed-cache-run.js";
import type { Dataset } from "./recall/datasets.js";
import { fmt, markdownTable } from "./report.js";
import { groupedBarsSvg } from "./svg.js";

/** Options of {@link runBackfill}. */
export interface BackfillOptions {
  dataset: Dataset;
  embedder: Embedder;
  /** Conversations used (the first ones). @default 1 */
  conversations?: number;
}

/** Time and embedding work of one step. */
export interface BackfillStep {
  ms: number;
  /** Texts the model embedded. */
  embedded: number;
}

/** What {@link runBackfill} measured. */
export interface BackfillResult {
  embedder: string;
  conversations: number;
  memories: number;
  /** Ingest into namespaces created with `sentenceVectors: true`. */
  withOption: BackfillStep;
  /** Ingest into namespaces created without it. */
  without: BackfillStep;
  /** Switching the option on for those, until `whenIndexed` resolved. */
  backfill: BackfillStep;
  questions: number;
  /**
   * Share of questions whose hybrid top 20 held the same memories (by content) in the same order in
   * both namespaces, with every score within {@link SCORE_TOLERANCE}.
   */
  identical: number;
  /** The largest score difference between the two namespaces at the same rank. */
  maxScoreDiff: number;
}

/**
 * Scores may differ in the last digits: a model's vectors of the same text differ slightly between
 * batches (USE-lite within 1e-5), and the backfill batches texts differently from the ingest.
 */
export const SCORE_TOLERANCE = 1e-4;

async function timed(counter: { texts: number }, run: () => Promise<void>): Promise<BackfillStep> {
  const before = counter.texts;
  const t = performance.now();
  await run();
  return { ms: performance.now() - t, embedded: counter.texts - before };
}

/** Runs the benchmark (a temporary engine, removed afterwards). */
export async function runBackfill(opts: BackfillOptions): Promise<BackfillResult> {
  const chats = opts.dataset.conversations.slice(0, opts.conversations ?? 1);
  if (chats.length === 0) throw new Error("the data set has no conversation");
  const { wrapped, counter } = counted(opts.embedder);
  const dir = mkdtempSync(join(tmpdir(), "loci-backfill-"));
  const loci = await Loci.open({ dataDir: dir, embedder: wrapped, embeddingCache: false });
  try {
    const ingest = (prefix: string, sentenceVectors: boolean) => async () => {
      for (const [i, chat] of chats.entries()) {
        const namespace = `${prefix}-${i}`;
        await loci.namespace.create({
          name: namespace,
          config: { sentenceVectors, reinforceOnAccess: false },
        });
        const memories = chat.turns.map((t) => ({ content: `${t.speaker}: ${t.text}`, createdAt: t.time }));
        for (let j = 0; j < memories.length; j += 500)
          await loci.memory.addMany({ namespace, memories: memories.slice(j, j + 500) });
      }
      await loci.whenIndexed();
    };
    const withOption = await timed(counter, ingest("with", true));
    const without = await timed(counter, ingest("later", false));
    const backfill = await timed(counter, async () => {
      for (const i of chats.keys())
        await loci.namespace.configure({ namespace: `later-${i}`, sentenceVectors: true });
      await loci.whenIndexed();
    });
    let questions = 0;
    let identical = 0;
    let maxScoreDiff = 0;
    for (const [i, chat] of chats.entries()) {
      for (const q of chat.questions) {
        const top = (ns: string) =>
          loci.memory.search({ namespace: `${ns}-${i}`, query: q.question, limit: 20 });
        const [a, b] = [await top("with"), await top("later")];
        const diffs = a.map((h, k) => Math.abs(h.score - (b[k]?.score ?? Number.POSITIVE_INFINITY)));
        maxScoreDiff = Math.max(maxScoreDiff, ...diffs.filter(Number.isFinite));
        questions++;
        const sameOrder =
          a.length === b.length && a.every((h, k) => h.memory.content === b[k]!.memory.content);
        if (sameOrder && diffs.every((d) => d <= SCORE_TOLERANCE)) identical++;
      }
    }
    return {
      embedder: opts.embedder.id,
      conversations: chats.length,
      memories: chats.reduce((n, c) => n + c.turns.length, 0),
      withOption,
      without,
      backfill,
      questions,
      identical: identical / Math.max(1, questions),
      maxScoreDiff,
    };
  } finally {
    await loci.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The result as a Markdown table. */
export function backfillTable(r: BackfillResult): string {
  const row = (name: string, s: BackfillStep) => [
    name,
    `${(s.ms / 1000).toFixed(1)} s`,
    fmt(s.embedded),
    fmt(r.memories / (s.ms / 1000)),
  ];
  return markdownTable(
    ["step", "time", "texts embedded", "memories/s"],
    [
      row("ingest, sentenceVectors from the start", r.withOption),
      row("ingest without sentenceVectors", r.without),
      row("then switched on: backfill", r.backfill),
    ],
  );
}

/** One line: the sizes and the identity check. */
export function backfillSummary(r: BackfillResult): string {
  return (
    `${r.embedder}: ${r.conversations} conversation(s), ${fmt(r.memories)} memories; ` +
    `backfill ${(r.backfill.ms / 1000).toFixed(1)} s for ${fmt(r.backfill.embedded)} texts; ` +
    `same top 20 (memories in the same order, scores within ${SCORE_TOLERANCE}) for ` +
    `${(100 * r.identical).toFixed(1)} % of ${r.questions} questions (largest score difference ${r.maxScoreDiff.toExponential(1)})`
  );
}

/** The time of each step, as grouped bars. */
export function backfillChart(r: BackfillResult): string {
  return groupedBarsSvg({
    title: `Sentence vectors with ${r.embedder}: from the start, or backfilled (seconds, lower is better)`,
    unit: "s",
    groups: ["ingest", "backfill", "total"],
    series: [
      {
        name: "sentenceVectors from the start",
        values: [r.withOption.ms / 1000, null, r.withOption.ms / 1000],
      },
      {
        name: "switched on afterwards",
        values: [r.without.ms / 1000, r.backfill.ms / 1000, (r.without.ms + r.backfill.ms) / 1000],
      },
    ],
  });
}
