/**
 * Namespace isolation: a triage, a technical and a billing agent each keep private notes in their own
 * namespace and share what every agent may read in `customer-context`. Billing searches its private
 * namespace plus the shared one (`namespaces: [...]`) with a `customer_id` metadata filter, so it never
 * sees the other agents' private notes nor another customer's data — and each hit says which
 * namespace it came from.
 *
 * Run: `pnpm example namespace-isolation`
 *
 * @module
 */
import { Loci, type MemoryInput } from "@loci/engine";
import type { Example } from "./context.js";
import { num, short } from "./lib/engine-helpers.js";

/** One search hit, as billing sees it. */
export interface IsolationHit {
  id: string;
  namespace: string;
  agentId: string | null;
  customerId: string;
  content: string;
  score: number;
}

/** What the namespace-isolation example returns. */
export interface NamespaceIsolationResult {
  /** Billing's search over `billing` + `customer-context` for cust_42. */
  billingHits: IsolationHit[];
  /** Every namespace billing searched. */
  searched: string[];
  /** Ids of the private notes of triage and technical (none may appear in billing's hits). */
  otherAgentsPrivateIds: string[];
  /** How many hits triage gets for the same question in its own namespace (the notes are relevant). */
  triageOwnHits: number;
  /** Hits about other customers when billing searches without the `customer_id` filter (the filter matters). */
  unfilteredOtherCustomerHits: number;
}

const SHARED = "customer-context";
const QUESTION = "why was the customer charged twice and what was done about it?";

/** A note about one customer; `customer_id` says whose data it is. */
const about = (customer_id: string, content: string, agentId?: string): MemoryInput => ({
  content,
  metadata: { customer_id },
  ...(agentId ? { agentId } : {}),
});

/** Private notes per agent. */
const PRIVATE: Record<"triage" | "technical" | "billing", MemoryInput[]> = {
  triage: [
    about("cust_42", "cust_42 was charged twice for March and sounded angry on the call"),
    about("cust_7", "cust_7 was charged twice last year; handled by a refund"),
  ],
  technical: [
    about("cust_42", "cust_42 double charge: payment worker retried a timed-out capture; charged twice"),
  ],
  billing: [
    about("cust_42", "Refund of the duplicate $49 charge on INV-2291 approved for cust_42"),
    about("cust_7", "cust_7 was charged twice in 2025; refund INV-1770 issued"),
  ],
};

/** Shared context every agent may read, with the agent that shared it. */
const SHARED_NOTES: MemoryInput[] = [
  about(
    "cust_42",
    "cust_42 is Acme Corp on the Team plan, billed monthly; contact: ap@acme.example",
    "triage",
  ),
  about(
    "cust_42",
    "Root cause for cust_42 being charged twice: a retry bug in the payment worker, fixed in PR #5512",
    "technical",
  ),
  about("cust_7", "cust_7 is Globex, annual plan; was charged twice in 2025 after a card update", "billing"),
];

/** The example: private namespaces per agent, one shared namespace, filtered multi-namespace search. */
export const example: Example<NamespaceIsolationResult> = {
  description:
    "Private namespaces per agent + a shared one; billing searches private + shared for one customer",
  async run({ dataDir, log }) {
    const loci = await Loci.open({ dataDir });
    try {
      for (const agent of ["triage", "technical", "billing"] as const) {
        await loci.namespace.create({ name: agent, description: `${agent} agent's private notes` });
      }
      await loci.namespace.create({ name: SHARED, description: "customer facts every agent may read" });

      const otherAgentsPrivateIds: string[] = [];
      for (const [agent, notes] of Object.entries(PRIVATE)) {
        const stored = await loci.memory.addMany({
          namespace: agent,
          memories: notes.map((n) => ({ ...n, agentId: agent })),
        });
        if (agent !== "billing") otherAgentsPrivateIds.push(...stored.map((m) => m.id));
        log(`${agent} wrote ${stored.length} private note(s) to namespace "${agent}"`);
      }
      await loci.memory.addMany({ namespace: SHARED, memories: SHARED_NOTES });
      log(`${SHARED_NOTES.length} notes shared in "${SHARED}" (for cust_42 and cust_7)`);

      // The same question in triage's own namespace finds triage's notes: they are relevant, just not billing's.
      const triageOwn = await loci.memory.search({ namespace: "triage", query: QUESTION });
      log(`(triage, searching only its own namespace, finds ${triageOwn.length} notes for that question)`);

      const searched = ["billing", SHARED];
      const hits = await loci.memory.search({
        namespaces: searched,
        query: QUESTION,
        metadataFilter: { customer_id: "cust_42" },
        limit: 10,
      });
      const billingHits: IsolationHit[] = hits.map((h) => ({
        id: h.memory.id,
        namespace: h.namespace,
        agentId: h.memory.agentId,
        customerId: String(h.memory.metadata.customer_id),
        content: h.memory.content,
        score: h.score,
      }));

      log("");
      log(`billing asks: "${QUESTION}"`);
      log(`billing searched ${searched.join(" + ")} for cust_42: ${billingHits.length} hits:`);
      for (const h of billingHits) {
        log(`  ${num(h.score)}  [${h.namespace}, written by ${h.agentId}] ${short(h.content, 80)}`);
      }
      const leaked = billingHits.filter((h) => otherAgentsPrivateIds.includes(h.id));
      const otherCustomer = billingHits.filter((h) => h.customerId !== "cust_42");
      log(
        `private notes of triage/technical in billing's results: ${leaked.length}; other customers' data: ${otherCustomer.length}`,
      );
      log("(technical's root cause reached billing only because technical shared it in customer-context)");

      const unfiltered = await loci.memory.search({ namespaces: searched, query: QUESTION, limit: 10 });
      const unfilteredOtherCustomerHits = unfiltered.filter(
        (h) => h.memory.metadata.customer_id !== "cust_42",
      ).length;
      log(
        `without the customer_id filter the same search would also return ${unfilteredOtherCustomerHits} notes about cust_7`,
      );

      return {
        billingHits,
        searched,
        otherAgentsPrivateIds,
        triageOwnHits: triageOwn.length,
        unfilteredOtherCustomerHits,
      };
    } finally {
      await loci.close();
    }
  },
};
