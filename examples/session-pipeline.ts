/**
 * Session pipeline: one session per support ticket. Triage, technical and billing each add their step
 * to the ticket's session in the shared `support` namespace (with `agentId` as provenance); billing
 * recalls the whole story in order (`memory.list` by `sessionId`) and searches within it, while another
 * ticket worked on at the same time stays separate. The ticket's session is ended at the end.
 *
 * Run: `pnpm example session-pipeline`
 *
 * @module
 */
import { Loci, LociError } from "@loci/engine";
import type { Example } from "./context.js";
import { num, short } from "./lib/engine-helpers.js";

/** One step of a ticket's story. */
export interface Step {
  agentId: string | null;
  content: string;
}

/** What the session-pipeline example returns. */
export interface SessionPipelineResult {
  /** TKT-1234's steps as billing recalled them before adding its own (insertion order). */
  storyBeforeBilling: Step[];
  /** TKT-1234's full story after billing's step. */
  story: Step[];
  /** TKT-1300's steps (the other ticket). */
  otherTicket: Step[];
  /** Session ids of the hits of billing's search within TKT-1234. */
  searchSessionIds: (string | null)[];
  /** The best hit of that search. */
  searchTop: string;
  /** Session ids of the same search without `sessionId` (the other ticket shows up). */
  unscopedSessionIds: (string | null)[];
  /** TKT-1234 after `session.end`. */
  ended: { memoryCount: number; endedAt: string | null };
  /** The error code of adding to the ended session. */
  addAfterEnd: string;
  /** Sessions still active at the end. */
  activeSessions: string[];
}

const NS = "support";

/** The example: a session per ticket, steps with provenance, recall in order, end. */
export const example: Example<SessionPipelineResult> = {
  description:
    "One session per ticket: agents add steps, billing recalls the story in order, the session ends",
  async run({ dataDir, log }) {
    const loci = await Loci.open({ dataDir });
    try {
      const ticket = await loci.session.create({
        namespace: NS,
        id: "TKT-1234",
        metadata: { ticket: "TKT-1234", customer_id: "cust_42" },
      });
      const other = await loci.session.create({
        namespace: NS,
        id: "TKT-1300",
        metadata: { ticket: "TKT-1300", customer_id: "cust_7" },
      });
      log(`opened sessions ${ticket.id} (cust_42) and ${other.id} (cust_7) in namespace "${NS}"`);

      const step = async (sessionId: string, agentId: string, content: string) => {
        await loci.memory.add({ namespace: NS, sessionId, agentId, content });
        log(`  ${sessionId} ← ${agentId.padEnd(9)} ${short(content, 80)}`);
      };
      // The two tickets are worked on at the same time: their steps interleave.
      await step(
        "TKT-1234",
        "triage",
        "Customer cust_42 reports being charged twice for the March invoice INV-2291",
      );
      await step(
        "TKT-1300",
        "triage",
        "Customer cust_7 asks why their card was charged before the free trial ended",
      );
      await step(
        "TKT-1234",
        "technical",
        "Logs: the payment worker retried a timed-out capture and charged the card twice",
      );
      await step(
        "TKT-1300",
        "technical",
        "The trial end was computed in UTC, so cust_7 was charged five hours early",
      );
      await step("TKT-1234", "technical", "Fix deployed: idempotency key on the capture call (PR #5512)");

      const list = async (sessionId: string): Promise<Step[]> =>
        (await loci.memory.list({ namespace: NS, sessionId })).items.map((m) => ({
          agentId: m.agentId,
          content: m.content,
        }));
      const storyBeforeBilling = await list("TKT-1234");
      log("");
      log(`billing recalls TKT-1234 before acting: ${storyBeforeBilling.length} steps, in order:`);
      for (const [i, s] of storyBeforeBilling.entries()) log(`  ${i + 1}. ${s.agentId}: ${s.content}`);

      const question = "why was the customer charged twice?";
      const hits = await loci.memory.search({ namespace: NS, query: question, sessionId: "TKT-1234" });
      log(`billing searched "${question}" within TKT-1234: ${hits.length} hits, best:`);
      log(`  ${num(hits[0]!.score)} ${hits[0]!.memory.agentId}: ${hits[0]!.memory.content}`);
      const unscoped = await loci.memory.search({ namespace: NS, query: question });
      const leaked = unscoped.filter((h) => h.memory.sessionId !== "TKT-1234").length;
      log(`(the same search without sessionId also returns ${leaked} step(s) of TKT-1300)`);

      log("");
      await step("TKT-1234", "billing", "Refunded the duplicate charge on INV-2291 and emailed cust_42");
      const ended = await loci.session.end({ namespace: NS, id: "TKT-1234" });
      log(`TKT-1234 ended with ${ended.memoryCount} steps at ${ended.endedAt}`);
      let addAfterEnd = "none";
      try {
        await loci.memory.add({
          namespace: NS,
          sessionId: "TKT-1234",
          agentId: "triage",
          content: "late note",
        });
      } catch (err) {
        if (!LociError.isInstance(err)) throw err;
        addAfterEnd = err.code;
      }
      log(`a late add to TKT-1234 is refused: ${addAfterEnd}`);

      const story = await list("TKT-1234");
      const otherTicket = await list("TKT-1300");
      const active = await loci.session.list({ namespace: NS, status: "active" });
      log(`final story of TKT-1234: ${story.map((s) => s.agentId).join(" → ")}`);
      log(
        `TKT-1300 is untouched: ${otherTicket.length} steps (${otherTicket.map((s) => s.agentId).join(" → ")}), still active`,
      );

      return {
        storyBeforeBilling,
        story,
        otherTicket,
        searchSessionIds: hits.map((h) => h.memory.sessionId),
        searchTop: hits[0]!.memory.content,
        unscopedSessionIds: unscoped.map((h) => h.memory.sessionId),
        ended: { memoryCount: ended.memoryCount, endedAt: ended.endedAt },
        addAfterEnd,
        activeSessions: active.items.map((s) => s.id),
      };
    } finally {
      await loci.close();
    }
  },
};
