/**
 * Event-sourced agents: a monitor agent publishes anomalies as memories (metadata `severity`) into the
 * `incidents` namespace over a simulated day; a diagnosis agent reacts to each one live
 * (`events.subscribe` on `memory.added`) and, when it sits down to diagnose, recalls with
 * `recencyWeight: 0.8` and a severity filter so the latest severe anomalies come first. An auditor that
 * joins late replays the same events from the durable log (`events.stream` with `since: 0`).
 *
 * Run: `pnpm example event-sourced`
 *
 * @module
 */
import { Loci, type LociEvent, ManualClock, type ScoreBreakdown } from "@loci/engine";
import type { Example } from "./context.js";
import { clockTime, num, short, waitFor } from "./lib/engine-helpers.js";

/** Severity of an anomaly. */
export type Severity = "low" | "medium" | "high" | "critical";

/** An anomaly as the monitor published it. */
export interface Anomaly {
  id: string;
  severity: Severity;
  content: string;
  createdAt: string;
}

/** What the event-sourced example returns. */
export interface EventSourcedResult {
  /** Every anomaly in publication order. */
  published: Anomaly[];
  /** Memory ids in the order the live subscriber received their `memory.added` events. */
  liveIds: string[];
  /** Their `seq` numbers (strictly increasing). */
  liveSeqs: number[];
  /** Ids the diagnosis agent paged on (critical anomalies, seen live). */
  paged: string[];
  /** Ids replayed by the late auditor from `since: 0`. */
  replayedIds: string[];
  /** When the diagnosis agent recalled (simulated clock). */
  recalledAt: string;
  /** The diagnosis recall (recencyWeight 0.8, high + critical), best first, with its score breakdown. */
  recall: { id: string; severity: string; createdAt: string; score: number; scores: ScoreBreakdown }[];
  /** The same hits ordered by relevance alone (what wording alone would rank first). */
  byRelevanceIds: string[];
}

const NS = "incidents";
const START = Date.UTC(2026, 2, 2, 6, 0); // Mon Mar 2 2026, 06:00 UTC

/** What the monitor sees during the day, one anomaly every three hours. */
const FEED: { severity: Severity; content: string }[] = [
  { severity: "critical", content: "Payment API error rate spike: 12% of checkout calls failing with 502" },
  { severity: "low", content: "Payment API p50 latency up 5% after the morning deploy" },
  { severity: "high", content: "Payment API errors: card captures timing out in eu-west" },
  { severity: "medium", content: "Search API cache hit rate dropped to 71%" },
  { severity: "high", content: "Checkout errors: payment provider webhook retries piling up" },
  { severity: "low", content: "Payment API error budget 80% consumed for the month" },
  { severity: "critical", content: "Payment API down in us-east: checkout error rate at 40%" },
  { severity: "medium", content: "Payment API p99 latency above 2s for ten minutes" },
];

/** The example: publish anomalies, react live, recall by recency and severity, replay from the log. */
export const example: Example<EventSourcedResult> = {
  description:
    "A monitor publishes anomalies; a diagnosis agent reacts live and recalls recent severe ones first",
  async run({ dataDir, log }) {
    const clock = new ManualClock(START);
    const loci = await Loci.open({ dataDir, clock });
    try {
      // Incidents matter for hours, not weeks: recency and retention halve every 12 hours.
      await loci.namespace.create({
        name: NS,
        description: "anomalies published by the monitor",
        config: { decayStrategy: "exponential", decayHalfLifeHours: 12 },
      });

      const live: LociEvent[] = [];
      const paged: string[] = [];
      const sub = await loci.events.subscribe({ namespace: NS, types: ["memory.added"] }, async (event) => {
        // The event carries ids and provenance; the diagnosis agent reads the memory for its severity.
        const anomaly = await loci.memory.get({ namespace: NS, id: event.id });
        const critical = anomaly.metadata.severity === "critical";
        if (critical) paged.push(event.id);
        log(
          `    diagnosis got event #${event.seq} from ${event.data?.agentId} (${anomaly.metadata.severity}): ${critical ? "pages the on-call engineer" : "notes it"}`,
        );
        live.push(event);
      });

      log(
        `monitor publishes ${FEED.length} anomalies, one every 3 hours from ${clockTime(START)} (simulated clock):`,
      );
      const published: Anomaly[] = [];
      for (const item of FEED) {
        log(`  ${clockTime(clock.now())} monitor: [${item.severity}] ${item.content}`);
        const m = await loci.memory.add({
          namespace: NS,
          agentId: "monitor",
          content: item.content,
          metadata: { severity: item.severity },
        });
        published.push({ id: m.id, severity: item.severity, content: m.content, createdAt: m.createdAt });
        await waitFor(() => live.length === published.length, "the live event"); // let the reaction print in place
        clock.advance({ hours: 3 });
      }
      sub.unsubscribe();
      log(
        `diagnosis saw ${live.length} events for ${published.length} anomalies, paged ${paged.length} times`,
      );

      const query = "payment API errors";
      const hits = await loci.memory.search({
        namespace: NS,
        query,
        metadataFilter: { severity: { $in: ["high", "critical"] } },
        recencyWeight: 0.8,
      });
      log("");
      log(
        `${clockTime(clock.now())} diagnosis recalls "${query}", severity high|critical, recencyWeight 0.8:`,
      );
      log("  score = 0.2 × relevance × retention + 0.8 × recency");
      for (const h of hits) {
        const { relevance, retention, recency } = h.scores;
        log(
          `  ${num(h.score)} = 0.2 × ${num(relevance)} × ${num(retention)} + 0.8 × ${num(recency)}  ${clockTime(h.memory.createdAt)} [${h.memory.metadata.severity}] ${short(h.memory.content, 44)}`,
        );
      }
      const byRelevance = [...hits].sort((a, b) => b.scores.relevance - a.scores.relevance);
      const best = byRelevance[0]!.memory;
      log(
        `by wording alone the ${clockTime(best.createdAt)} anomaly would lead ("${short(best.content, 40)}");`,
      );
      log(
        `with recencyWeight 0.8 the newest severe one leads: ${clockTime(hits[0]!.memory.createdAt)} [${hits[0]!.memory.metadata.severity}]`,
      );

      // An auditor joining later replays everything from the durable change log.
      const replayedIds: string[] = [];
      const signal = AbortSignal.timeout(5_000); // ends the loop if the log ever held fewer events
      for await (const event of loci.events.stream({
        namespace: NS,
        types: ["memory.added"],
        since: 0,
        signal,
      })) {
        replayedIds.push(event.id);
        if (replayedIds.length === published.length) break; // leaving the loop unsubscribes
      }
      const sameOrder = replayedIds.join() === published.map((a) => a.id).join();
      log(
        `a late auditor replayed ${replayedIds.length} memory.added events from seq 0, ${sameOrder ? "in the same order" : "in a DIFFERENT order"}`,
      );

      return {
        published,
        liveIds: live.map((e) => e.id),
        liveSeqs: live.map((e) => e.seq),
        paged,
        replayedIds,
        recalledAt: new Date(clock.now()).toISOString(),
        recall: hits.map((h) => ({
          id: h.memory.id,
          severity: String(h.memory.metadata.severity),
          createdAt: h.memory.createdAt,
          score: h.score,
          scores: h.scores,
        })),
        byRelevanceIds: byRelevance.map((h) => h.memory.id),
      };
    } finally {
      await loci.close();
    }
  },
};
