import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { example } from "./knowledge-graph.js";

let dataDir: string | undefined;
afterEach(() => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

const CHAIN = "Alice Chen -works_at-> Acme Corp -relates_to-> Enterprise Plan Q2";
const QUOTE = "Quote sent: 40 seats, annual billing, single sign-on add-on";

describe("knowledge-graph example", () => {
  it("walks Alice Chen → Acme Corp → Enterprise Plan Q2 and recalls through the graph", async () => {
    dataDir = mkdtempSync(join(tmpdir(), "loci-ex-graph-"));
    const lines: string[] = [];
    const result = await example.run({ dataDir, log: (l) => lines.push(l) });

    // Depth-2 forward walk: exactly the chain, nothing 3 hops away, nothing from Globex.
    expect(result.paths).toEqual(["Alice Chen", "Alice Chen -works_at-> Acme Corp", CHAIN]);
    expect(result.nodes).toEqual([
      { name: "Alice Chen", type: "person", depth: 0 },
      { name: "Acme Corp", type: "company", depth: 1 },
      { name: "Enterprise Plan Q2", type: "deal", depth: 2 },
    ]);
    expect(result.shortestChain).toBe(CHAIN);
    expect(result.dealEdgeMetadata).toEqual({
      stage: "negotiation",
      seats: 40,
      value_usd: 48_000,
      added_by: "sales",
    });

    // Graph-aware recall: the two memories two hops from Alice get graph 1/3, Globex's gets 0 and ranks last.
    expect(result.graphHits).toHaveLength(3);
    const quote = result.graphHits.find((h) => h.content === QUOTE)!;
    expect(quote.graph).toBeCloseTo(1 / 3, 12);
    expect(result.graphHits.slice(0, 2).every((h) => h.graph > 0.33)).toBe(true);
    expect(result.graphHits[2]).toMatchObject({
      content: "Globex wants a 15% discount before renewing",
      graph: 0,
    });
    // The quote climbs: last in plain search, ahead of Globex with the graph.
    expect(result.plainHits.at(-1)!.content).toBe(QUOTE);
    // relevance = (1 − γ)·base + γ·graph with γ = 0.5; no decay, so the score is the relevance.
    for (const hit of result.graphHits) {
      const base = result.plainHits.find((p) => p.content === hit.content)!.score;
      expect(hit.score).toBeCloseTo(0.5 * base + 0.5 * hit.graph, 9);
    }

    const text = lines.join("\n");
    expect(text).toContain(`depth 2: ${CHAIN}`);
    expect(text).toContain(`shortest path: ${CHAIN}`);
    expect(text).toContain("stage negotiation, 40 seats");
    expect(text).toMatch(/graph 0\.333 {2}Quote sent/);
  });
});
