/**
 * The embedded engine in a minute: a triage agent and a billing agent each keep private memories,
 * share finalized findings, and search them (hybrid vector + BM25, with filters and a score breakdown).
 *
 * Run: `pnpm start` (or `pnpm --filter @loci/examples demo`). Data goes to ./loci-data (LOCI_DATA_DIR).
 */
import { Loci } from "@loci/engine";

const dataDir = process.env.LOCI_DATA_DIR ?? "./loci-data";
const loci = await Loci.open({ dataDir });
console.log(`Loci engine open at ${dataDir} (embedder: ${loci.embedder.id})`);

const existing = await loci.memory.list({ namespace: "team-shared" }).catch(() => null);
if (!existing || existing.items.length === 0) {
  await loci.memory.addMany({
    namespace: "triage",
    memories: [
      {
        content: "Ticket #881: customer cust_42 says they were charged twice for March",
        metadata: { customer_id: "cust_42", severity: "high" },
        agentId: "triage",
      },
      {
        content: "Ticket #882: password reset email never arrived",
        metadata: { customer_id: "cust_7", severity: "low" },
        agentId: "triage",
      },
    ],
  });
  await loci.memory.addMany({
    namespace: "team-shared",
    memories: [
      {
        content:
          "Confirmed: invoice INV-2291 for cust_42 was issued twice due to a retry bug; refund approved",
        metadata: { customer_id: "cust_42", source_agent: "billing" },
        agentId: "billing",
        importance: 0.9,
      },
      {
        content: "Auth emails are delayed by about ten minutes after the provider switch",
        metadata: { customer_id: "cust_7", source_agent: "technical" },
        agentId: "technical",
      },
    ],
  });
}

const query = "was the customer billed two times?";
const results = await loci.memory.search({
  namespaces: ["triage", "team-shared"],
  query,
  limit: 3,
  metadataFilter: { customer_id: "cust_42" },
});
console.log(`\nsearch: "${query}" (customer_id = cust_42, triage + team-shared)`);
for (const r of results) {
  const s = r.scores;
  console.log(
    `  ${r.score.toFixed(3)}  [${r.namespace}] ${r.memory.content}\n         vector ${s.vector.toFixed(3)} · keyword ${s.keyword.toFixed(3)} · retention ${s.retention.toFixed(2)} · recency ${s.recency.toFixed(2)}`,
  );
}
await loci.close();
