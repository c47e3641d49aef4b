/**
 * The recall harness: ingests a {@link Dataset} into a Loci engine (one namespace per conversation,
 * one session per conversation session, one memory per turn at its real time, linked to a `person`
 * entity named after its speaker), then searches every
 * question under each configuration and scores the evidence turns returned.
 *
 * Metrics (in %): evidence recall@k = share of a question's evidence turns in the top k, averaged
 * over questions; hit@k = share of questions with at least one evidence turn in the top k. Both
 * per category and overall. Search latency p50/p99 per configuration; ingest time once.
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Embedder,
  Loci,
  ManualClock,
  type NamespaceConfigInput,
  type SearchOptions,
} from "@loci/engine";
import { percentile } from "../data.js";
import type { Dataset } from "./datasets.js";

/** A search configuration to compare. */
export interface RecallConfig {
  name: string;
  /** Search options (namespace, query and limit are set by the harness). */
  opts: Partial<SearchOptions>;
  /**
   * Namespace options the conversations are ingested with (default: none). Each distinct setting
   * ingests its own copy of every conversation.
   */
  namespace?: NamespaceConfigInput;
}

/** Scores of one group of questions (a category or all). */
export interface GroupScores {
  questions: number;
  /** Evidence recall@k in %, by k. */
  recall: Record<number, number>;
  /** hit@k in %, by k. */
  hit: Record<number, number>;
}

/** Results of one configuration. */
export interface ConfigResult {
  name: string;
  opts: Partial<SearchOptions>;
  overall: GroupScores;
  categories: Record<string, GroupScores>;
  searchMs: { p50: number; p99: number; mean: number };
}

/** Results of one harness run. */
export interface RecallRun {
  dataset: string;
  format: Dataset["format"];
  embedder: string;
  conversations: number;
  turns: number;
  questions: number;
  skipped: number;
  ks: number[];
  ingest: { ms: number; turnsPerSecond: number; embeddedTexts: number };
  /** Ingest time of each extra namespace setting (JSON of the setting → ms). */
  extraIngestMs: Record<string, number>;
  configs: ConfigResult[];
}

/** Options of {@link runRecall}. */
export interface RunRecallOptions {
  dataset: Dataset;
  embedder: Embedder;
  configs: readonly RecallConfig[];
  /** @default [5, 10, 20] */
  ks?: readonly number[];
  /** How many texts the embedder computed (for the report); read after ingest. */
  embeddedTexts?: () => number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

const pct = (xs: number[]) => (xs.length ? (xs.reduce((a, b) => a + b, 0) / xs.length) * 100 : 0);

/** Runs the harness (in a temporary data directory, removed afterwards). */
export async function runRecall(opts: RunRecallOptions): Promise<RecallRun> {
  const ks = [...(opts.ks ?? [5, 10, 20])].sort((a, b) => a - b);
  const limit = ks[ks.length - 1]!;
  const log = opts.log ?? (() => {});
  const dataDir = mkdtempSync(join(tmpdir(), "loci-recall-"));
  // The engine's clock is set to each conversation's end before its questions (recency counts from there).
  const clock = new ManualClock();
  const loci = await Loci.open({ dataDir, embedder: opts.embedder, clock });
  try {
    const ingest = async (setting: NamespaceConfigInput, suffix: string) => {
      let turns = 0;
      const namespaces: string[] = [];
      for (const [i, conv] of opts.dataset.conversations.entries()) {
        const ns = `conv-${i + 1}${suffix}`;
        namespaces.push(ns);
        await loci.namespace.create({ name: ns, config: { ...setting, reinforceOnAccess: false } });
        for (const session of new Set(conv.turns.map((t) => t.session)))
          await loci.session.create({ namespace: ns, id: session });
        const memories = conv.turns.map((t) => ({
          content: `${t.speaker}: ${t.text}`,
          createdAt: t.time,
          sessionId: t.session,
          metadata: { session: t.session, speaker: t.speaker, dia_id: t.id },
          entities: [{ type: "person", name: t.speaker }],
        }));
        for (let j = 0; j < memories.length; j += 500)
          await loci.memory.addMany({ namespace: ns, memories: memories.slice(j, j + 500) });
        turns += memories.length;
        log(`ingested ${conv.id}${suffix}: ${memories.length} turns`);
      }
      return { turns, namespaces };
    };
    const before = opts.embeddedTexts?.() ?? 0;
    const t0 = performance.now();
    const { turns, namespaces: plain } = await ingest({}, "");
    const ingestMs = performance.now() - t0;
    const embeddedTexts = (opts.embeddedTexts?.() ?? 0) - before;
    const copies = new Map<string, string[]>([["{}", plain]]);
    const extraIngestMs: Record<string, number> = {};
    for (const config of opts.configs) {
      const key = JSON.stringify(config.namespace ?? {});
      if (copies.has(key)) continue;
      const t1 = performance.now();
      copies.set(key, (await ingest(config.namespace ?? {}, `-${copies.size}`)).namespaces);
      extraIngestMs[key] = performance.now() - t1;
    }
    // Every ANN graph complete before searching: no background insertion competes with the timed
    // searches, and every vector is scored by the graph (not a pending one by brute force).
    await loci.whenIndexed();

    const configs: ConfigResult[] = [];
    for (const config of opts.configs) {
      const namespaces = copies.get(JSON.stringify(config.namespace ?? {}))!;
      const recall = new Map<string, Map<number, number[]>>();
      const hit = new Map<string, Map<number, number[]>>();
      const add = (m: Map<string, Map<number, number[]>>, group: string, k: number, v: number) => {
        const g = m.get(group) ?? new Map<number, number[]>();
        m.set(group, g);
        g.set(k, [...(g.get(k) ?? []), v]);
      };
      const times: number[] = [];
      for (const [i, conv] of opts.dataset.conversations.entries()) {
        // Questions are asked after the conversation: relative times ("last week") count from its end.
        const referenceTime = conv.turns.reduce((max, t) => Math.max(max, t.time), 0);
        clock.set(referenceTime);
        const time = config.opts.time ? { ...config.opts.time, referenceTime } : config.opts.time;
        for (const q of conv.questions) {
          const t = performance.now();
          const results = await loci.memory.search({
            ...config.opts,
            time,
            namespace: namespaces[i]!,
            query: q.question,
            limit,
          });
          times.push(performance.now() - t);
          const ids = results.map((r) => r.memory.metadata.dia_id as string);
          for (const k of ks) {
            const top = new Set(ids.slice(0, k));
            const found = q.evidence.filter((e) => top.has(e)).length;
            for (const group of ["all", q.category]) {
              add(recall, group, k, found / q.evidence.length);
              add(hit, group, k, found > 0 ? 1 : 0);
            }
          }
        }
      }
      const scores = (group: string): GroupScores => ({
        questions: recall.get(group)?.get(ks[0]!)?.length ?? 0,
        recall: Object.fromEntries(ks.map((k) => [k, pct(recall.get(group)?.get(k) ?? [])])),
        hit: Object.fromEntries(ks.map((k) => [k, pct(hit.get(group)?.get(k) ?? [])])),
      });
      const categories = [...recall.keys()].filter((g) => g !== "all").sort();
      const result: ConfigResult = {
        name: config.name,
        opts: config.opts,
        overall: scores("all"),
        categories: Object.fromEntries(categories.map((c) => [c, scores(c)])),
        searchMs: {
          p50: times.length ? percentile(times, 50) : 0,
          p99: times.length ? percentile(times, 99) : 0,
          mean: times.length ? times.reduce((a, b) => a + b, 0) / times.length : 0,
        },
      };
      configs.push(result);
      log(`${config.name}: recall@10 ${result.overall.recall[10]?.toFixed(1) ?? "–"}`);
    }
    const questions = opts.dataset.conversations.reduce((n, c) => n + c.questions.length, 0);
    return {
      dataset: opts.dataset.name,
      format: opts.dataset.format,
      embedder: opts.embedder.id,
      conversations: opts.dataset.conversations.length,
      turns,
      questions,
      skipped: opts.dataset.conversations.reduce((n, c) => n + c.skipped, 0),
      ks,
      ingest: { ms: ingestMs, turnsPerSecond: turns / (ingestMs / 1000), embeddedTexts },
      extraIngestMs,
      configs,
    };
  } finally {
    await loci.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
