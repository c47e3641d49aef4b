/**
 * Memory pruning over a simulated month: the seed's two namespace configurations — ephemeral scratch
 * (exponential decay, 24 h half-life, 10,000 memories) and long-term shared knowledge (logarithmic,
 * 720 h, 500,000) — with a `ManualClock` advanced day by day. It shows what decays (retention from the
 * search score breakdown) and, in scaled-down copies whose `maxMemories` are small enough to fill in a
 * month, what is evicted (`memory.evicted` events): the lowest retention first.
 *
 * Run: `pnpm example memory-pruning`
 *
 * @module
 */
import { type DecayStrategy, Loci, type LociEvent, ManualClock, retention } from "@loci/engine";
import type { Example } from "./context.js";
import { num, waitFor } from "./lib/engine-helpers.js";

/** Retention of the memories written on day 0, read from the score breakdown at the start of a day. */
export interface DecayRow {
  day: number;
  scratchNote: number;
  scratchPinned: number;
  knowledgeFact: number;
}

/** What happened in one scaled-down namespace over the month. */
export interface EvictionLog {
  namespace: string;
  maxMemories: number;
  decayStrategy: DecayStrategy;
  decayHalfLifeHours: number;
  /** Every write, in order (`label` names it in the narration). */
  written: { id: string; label: string; importance: number; createdAt: string }[];
  /** The `memory.evicted` events in order: memory id and time. */
  evicted: { id: string; at: string }[];
  /** Ids still stored at the end of the month. */
  survivors: string[];
}

/** What the memory-pruning example returns. */
export interface MemoryPruningResult {
  /** One row per day, 0 to 30. */
  decay: DecayRow[];
  scratch: EvictionLog;
  knowledge: EvictionLog;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;
const START = Date.UTC(2026, 2, 1); // day 0 = Sun Mar 1 2026, 00:00 UTC
const SCRATCH = { decayStrategy: "exponential", decayHalfLifeHours: 24, maxMemories: 10_000 } as const;
const KNOWLEDGE = { decayStrategy: "logarithmic", decayHalfLifeHours: 720, maxMemories: 500_000 } as const;
/** Scaled down so that eviction happens within a month; the curves and half-lives stay the seed's. */
const SMALL = {
  "scratch-small": { ...SCRATCH, maxMemories: 10 },
  "knowledge-small": { ...KNOWLEDGE, maxMemories: 20 },
};
type SmallNamespace = keyof typeof SMALL;
const SMALL_NAMES = Object.keys(SMALL) as SmallNamespace[];
const REPORT_DAYS = [0, 1, 2, 3, 7, 14, 21, 30];

/** What the agents write on a given day into the scaled-down namespaces, in time order. */
function workday(day: number) {
  const at = (hour: number) => START + day * DAY + hour * HOUR;
  const writes: { namespace: SmallNamespace; at: number; label: string; importance: number }[] = [];
  if (day === 0)
    writes.push({ namespace: "scratch-small", at: at(8.5), label: "pinned note", importance: 1 });
  for (const hour of [9, 13, 17]) {
    const label = `day ${day} ${String(hour).padStart(2, "0")}:00 note`;
    writes.push({ namespace: "scratch-small", at: at(hour), label, importance: 0.5 });
  }
  const key = day % 3 === 0; // every third fact is a key fact
  const label = `${key ? "key" : "minor"} fact of day ${day}`;
  writes.push({ namespace: "knowledge-small", at: at(12), label, importance: key ? 0.9 : 0.3 });
  return writes.sort((a, b) => a.at - b.at);
}

/** "day 6 09:00" for a time of the simulated month. */
function when(at: string | number): string {
  const t = new Date(at).getTime() - START;
  return `day ${Math.floor(t / DAY)} ${String(Math.floor((t % DAY) / HOUR)).padStart(2, "0")}:00`;
}

/** The example: decay day by day with the seed's configurations; eviction in scaled-down copies. */
export const example: Example<MemoryPruningResult> = {
  description: "A simulated month: what decays in scratch vs long-term memory, and what maxMemories evicts",
  async run({ dataDir, log }) {
    const clock = new ManualClock(START);
    const loci = await Loci.open({ dataDir, clock });
    try {
      // The seed's configurations. reinforceOnAccess is off only so that our daily look does not count as
      // a use (by default a search hit resets the memory's decay clock).
      await loci.namespace.create({ name: "scratch", config: { ...SCRATCH, reinforceOnAccess: false } });
      await loci.namespace.create({ name: "knowledge", config: { ...KNOWLEDGE, reinforceOnAccess: false } });
      log(`scratch:   ${JSON.stringify(SCRATCH)}`);
      log(`knowledge: ${JSON.stringify(KNOWLEDGE)}`);
      const evictions: Record<SmallNamespace, LociEvent[]> = { "scratch-small": [], "knowledge-small": [] };
      const written: Record<SmallNamespace, EvictionLog["written"]> = {
        "scratch-small": [],
        "knowledge-small": [],
      };
      for (const name of SMALL_NAMES) {
        await loci.namespace.create({ name, config: SMALL[name] });
        await loci.events.subscribe({ namespace: name, types: ["memory.evicted"] }, (e) => {
          evictions[name].push(e);
        });
      }
      log("SCALED DOWN: scratch-small and knowledge-small have the same curves as scratch and");
      log("  knowledge, but maxMemories 10 (not 10,000) and 20 (not 500,000), to fill up within a month");

      const note = { content: "Working note: cust_42's refund waits on finance approval", importance: 0.5 };
      const pinned = { content: "Pinned: call cust_42 back before the refund closes", importance: 1 };
      await loci.memory.addMany({ namespace: "scratch", memories: [note, pinned] });
      await loci.memory.add({ namespace: "knowledge", content: "Acme Corp's fiscal year ends in March" });
      log("day 0: watching a scratch note (importance 0.5), a pinned one (importance 1), a knowledge fact");

      const decay: DecayRow[] = [];
      for (let day = 0; day <= 30; day++) {
        clock.set(START + day * DAY);
        const [s, k] = await Promise.all([
          loci.memory.search({ namespace: "scratch", query: "cust_42 refund" }),
          loci.memory.search({ namespace: "knowledge", query: "Acme fiscal year" }),
        ]);
        const of = (content: string) => s.find((h) => h.memory.content === content)!.scores.retention;
        const knowledgeFact = k[0]!.scores.retention;
        decay.push({ day, scratchNote: of(note.content), scratchPinned: of(pinned.content), knowledgeFact });

        for (const w of workday(day)) {
          clock.set(w.at);
          const content = `${w.label}: ${w.namespace === "scratch-small" ? "ticket queue notes" : "Acme account"}`;
          const { label, importance } = w;
          const m = await loci.memory.add({ namespace: w.namespace, content, importance });
          written[w.namespace].push({ id: m.id, label, importance, createdAt: m.createdAt });
        }
      }

      log("");
      log("retention of the day-0 memories (from the search score breakdown) at the start of each day:");
      log("   day  scratch note  pinned (importance 1)  knowledge fact");
      for (const r of decay.filter((row) => REPORT_DAYS.includes(row.day))) {
        const cells = [num(r.scratchNote).padStart(12), num(r.scratchPinned).padStart(21)];
        log(`  ${String(r.day).padStart(4)}  ${cells.join("  ")}  ${num(r.knowledgeFact).padStart(14)}`);
      }
      log("  scratch halves daily (every 2 days at importance 1); knowledge is still at 0.500 after 30 days");

      const logs = [] as EvictionLog[];
      for (const namespace of SMALL_NAMES) {
        const config = SMALL[namespace];
        const expected = written[namespace].length - config.maxMemories;
        await waitFor(() => evictions[namespace].length >= expected, `${expected} evictions in ${namespace}`);
        const survivors = (await loci.memory.list({ namespace, limit: 1000 })).items.map((m) => m.id);
        const evicted = evictions[namespace].map((e) => ({ id: e.id, at: e.at }));
        logs.push({ namespace, ...config, written: written[namespace], evicted, survivors });
      }
      const [scratch, knowledge] = logs as [EvictionLog, EvictionLog];
      const byId = new Map([...scratch.written, ...knowledge.written].map((w) => [w.id, w]));
      // Retention at eviction time, from the engine's public decay helper (the formula in its README).
      const retentionAt = (namespace: SmallNamespace, id: string, at: string) => {
        const { decayStrategy: strategy, decayHalfLifeHours: halfLifeHours } = SMALL[namespace];
        const { importance, createdAt } = byId.get(id)!;
        return retention({
          strategy,
          halfLifeHours,
          importance,
          reinforcedAt: Date.parse(createdAt),
          now: Date.parse(at),
        });
      };

      log("");
      const counts = `${scratch.evicted.length} evicted, ${scratch.survivors.length} kept`;
      log(`scratch-small (max 10): ${scratch.written.length} notes written, ${counts}`);
      const pinnedOut = scratch.evicted.find((e) => byId.get(e.id)!.label === "pinned note")!;
      const day0Out = scratch.evicted.filter((e) => byId.get(e.id)!.label.startsWith("day 0 ")).at(-1)!;
      const day0Retention = num(retentionAt("scratch-small", day0Out.id, day0Out.at));
      const oldestKept = byId.get(scratch.survivors[0]!)!.label;
      log(`  day 0's routine notes: all evicted by ${when(day0Out.at)} (last at retention ${day0Retention})`);
      log(`  day 0's pinned note (importance 1: twice the half-life): evicted at ${when(pinnedOut.at)}`);
      log(`  kept: the ${scratch.survivors.length} newest notes, ${oldestKept} onwards`);
      const kCounts = `${knowledge.written.length} facts written, ${knowledge.evicted.length} evicted`;
      log(`knowledge-small (max 20): ${kCounts}:`);
      for (const { id, at } of knowledge.evicted) {
        const { label, importance } = byId.get(id)!;
        const r = num(retentionAt("knowledge-small", id, at));
        log(`  ${when(at)}: evicted the ${label} (importance ${importance}, retention ${r})`);
      }
      const isKey = (id: string) => byId.get(id)!.importance > 0.5;
      const keys = `${knowledge.survivors.filter(isKey).length} of ${knowledge.written.filter((w) => isKey(w.id)).length}`;
      log(`  ${keys} key facts (importance 0.9) survived the month; the oldest minor facts went first`);

      return { decay, scratch, knowledge };
    } finally {
      await loci.close();
    }
  },
};
