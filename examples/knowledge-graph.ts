/**
 * Knowledge graph: a research agent and a sales agent add typed edges to the shared `accounts`
 * namespace (Alice Chen works_at Acme Corp; Acme Corp relates_to the deal "Enterprise Plan Q2", with
 * metadata), then any agent walks Alice Chen → Acme Corp → Enterprise Plan Q2 (traverse to depth 2,
 * shortest path) and asks a graph-aware question that plain search cannot answer.
 *
 * Run: `pnpm example knowledge-graph`
 *
 * @module
 */
import { type EntityRef, Loci } from "@loci/engine";
import type { Example } from "./context.js";
import { num, short } from "./lib/engine-helpers.js";

/** What the knowledge-graph example returns. */
export interface KnowledgeGraphResult {
  /** Readable chains from Alice Chen, depth ≤ 2 (`traverse(...).paths`). */
  paths: string[];
  /** Each reached entity with its depth. */
  nodes: { name: string; type: string; depth: number }[];
  /** The shortest chain Alice Chen → Enterprise Plan Q2. */
  shortestChain: string | null;
  /** The metadata on Acme Corp -relates_to-> Enterprise Plan Q2, as the sales agent left it. */
  dealEdgeMetadata: Record<string, unknown>;
  /** Graph-aware search for "What is Alice Chen evaluating?": content, graph score, final score. */
  graphHits: { content: string; graph: number; score: number }[];
  /** The same question without `graph`, in rank order. */
  plainHits: { content: string; score: number }[];
}

const NS = "accounts";
const alice: EntityRef = { type: "person", name: "Alice Chen" };
const bob: EntityRef = { type: "person", name: "Bob Li" };
const acme: EntityRef = { type: "company", name: "Acme Corp" };
const globex: EntityRef = { type: "company", name: "Globex" };
const enterpriseQ2: EntityRef = { type: "deal", name: "Enterprise Plan Q2" };
const globexRenewal: EntityRef = { type: "deal", name: "Globex Renewal" };
const pipeline: EntityRef = { type: "pipeline", name: "Q2 Sales Pipeline" };

/** The example: two agents build one graph; any agent traverses it and recalls through it. */
export const example: Example<KnowledgeGraphResult> = {
  description: "Research and sales agents build a knowledge graph; any agent walks person → company → deal",
  async run({ dataDir, log }) {
    const loci = await Loci.open({ dataDir });
    try {
      // The research agent records who works where, in one atomic batch.
      await loci.knowledgeGraph.addEdges({
        namespace: NS,
        edges: [
          {
            source: alice,
            target: acme,
            edgeType: "works_at",
            metadata: { role: "VP Engineering", added_by: "research" },
          },
          {
            source: bob,
            target: acme,
            edgeType: "works_at",
            metadata: { role: "CFO", added_by: "research" },
          },
          { source: { type: "person", name: "Carol Diaz" }, target: globex, edgeType: "works_at" },
        ],
      });
      log("research added: Alice Chen, Bob Li -works_at-> Acme Corp; Carol Diaz -works_at-> Globex");

      // The sales agent records the deals, with metadata on the edges.
      const dealEdge = await loci.knowledgeGraph.addEdge({
        namespace: NS,
        source: acme,
        target: enterpriseQ2,
        edgeType: "relates_to",
        metadata: { stage: "negotiation", seats: 40, value_usd: 48_000, added_by: "sales" },
      });
      await loci.knowledgeGraph.addEdge({
        namespace: NS,
        source: enterpriseQ2,
        target: pipeline,
        edgeType: "part_of",
      });
      await loci.knowledgeGraph.addEdge({
        namespace: NS,
        source: globex,
        target: globexRenewal,
        edgeType: "relates_to",
      });
      log(`sales added: Acme Corp -relates_to-> Enterprise Plan Q2 ${JSON.stringify(dealEdge.metadata)}`);
      log(
        "sales added: Enterprise Plan Q2 -part_of-> Q2 Sales Pipeline; Globex -relates_to-> Globex Renewal",
      );

      // Memories linked to entities, so graph-aware recall can reach them.
      await loci.memory.add({
        namespace: NS,
        agentId: "sales",
        content: "Quote sent: 40 seats, annual billing, single sign-on add-on",
        entities: [enterpriseQ2],
      });
      await loci.memory.add({
        namespace: NS,
        agentId: "sales",
        content: "Globex wants a 15% discount before renewing",
        entities: [globexRenewal],
      });
      await loci.memory.add({
        namespace: NS,
        agentId: "research",
        content: "Bob Li signs off on every purchase above $20k",
        entities: [bob],
      });
      log(
        "memories linked to entities: the quote → Enterprise Plan Q2, the discount ask → Globex Renewal, the sign-off rule → Bob Li",
      );

      log("");
      log("any agent: traverse from Alice Chen, depth 2 (following edges forwards):");
      const walk = await loci.knowledgeGraph.traverse({ namespace: NS, start: alice, maxDepth: 2 });
      for (const [i, path] of walk.paths.entries()) log(`  depth ${walk.nodes[i]!.depth}: ${path}`);
      log("  (Q2 Sales Pipeline is 3 hops away and Globex is not connected: neither is listed)");

      const path = await loci.knowledgeGraph.shortestPath({ namespace: NS, from: alice, to: enterpriseQ2 });
      log(`shortest path: ${path?.chain ?? "none"}`);
      const deal = await loci.knowledgeGraph.getEntity({ namespace: NS, entity: enterpriseQ2 });
      const fromAcme = deal.inEdges.find((e) => e.source.name === "Acme Corp")!;
      log(`edge metadata on the way: stage ${fromAcme.metadata.stage}, ${fromAcme.metadata.seats} seats`);

      log("");
      const question = "What is Alice Chen evaluating?";
      const plain = await loci.memory.search({ namespace: NS, query: question, limit: 3 });
      log(`plain search "${question}" (no memory mentions Alice), ${plain.length} hits:`);
      for (const h of plain) log(`  ${num(h.score)}  ${short(h.memory.content, 70)}`);
      const graphAware = await loci.memory.search({
        namespace: NS,
        query: question,
        graph: { depth: 2 },
        limit: 3,
      });
      log(`graph-aware search (depth 2), ${graphAware.length} hits:`);
      for (const h of graphAware) {
        log(`  ${num(h.score)}  graph ${num(h.scores.graph)}  ${short(h.memory.content, 70)}`);
      }
      log(
        "  (graph 0.333 = linked to an entity two hops from Alice Chen: Acme's deal, Acme's CFO; 0 = unreachable)",
      );

      return {
        paths: walk.paths,
        nodes: walk.nodes.map((n) => ({ name: n.name, type: n.type, depth: n.depth })),
        shortestChain: path?.chain ?? null,
        dealEdgeMetadata: fromAcme.metadata,
        graphHits: graphAware.map((h) => ({
          content: h.memory.content,
          graph: h.scores.graph,
          score: h.score,
        })),
        plainHits: plain.map((h) => ({ content: h.memory.content, score: h.score })),
      };
    } finally {
      await loci.close();
    }
  },
};
