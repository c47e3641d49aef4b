import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acme, alice, bob, plan, SEED_NAMESPACE, seedChain } from "../testing/graph-seed.js";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";
import type { EntityRef } from "../types.js";

let env: TempEngine;
beforeEach(async () => {
  env = await openTempEngine();
});
afterEach(async () => env.cleanup());

const ns = SEED_NAMESPACE;
const seed = () => seedChain(env.loci);

const names = (list: readonly EntityRef[]) => list.map((e) => e.name);

describe("knowledge graph: traversal", () => {
  it("follows the chain with readable paths, honouring maxDepth 0, 1 and 2", async () => {
    await seed();
    const kg = env.loci.knowledgeGraph;
    const t0 = await kg.traverse({ namespace: ns, start: alice, maxDepth: 0 });
    expect(t0).toEqual({
      nodes: [{ ...alice, depth: 0, properties: {} }],
      edges: [],
      paths: ["Alice Chen"],
      truncated: false,
    });
    const t1 = await kg.traverse({ namespace: ns, start: alice, maxDepth: 1 });
    expect(t1.nodes.map((n) => [n.name, n.depth])).toEqual([
      ["Alice Chen", 0],
      ["Acme Corp", 1],
    ]);
    expect(t1.paths).toEqual(["Alice Chen", "Alice Chen -works_at-> Acme Corp"]);
    const t2 = await kg.traverse({ namespace: ns, start: alice }); // default depth 2
    expect(t2.paths).toEqual([
      "Alice Chen",
      "Alice Chen -works_at-> Acme Corp",
      "Alice Chen -works_at-> Acme Corp -considering-> Enterprise Plan Q2",
    ]);
    expect(t2.edges.map((e) => e.edgeType)).toEqual(["works_at", "considering"]);
    expect(t2.edges[1]!.metadata).toStrictEqual({ discovered_by: "researcher", confidence: 0.82 });
    const back = await kg.traverse({ namespace: ns, start: plan, direction: "in" });
    expect(back.paths.at(-1)).toBe("Enterprise Plan Q2 <-considering- Acme Corp <-works_at- Alice Chen");
    expect((await kg.traverse({ namespace: ns, start: plan })).nodes).toHaveLength(1); // out: nothing
  });

  it("does not loop on cycles and self-loops, and reports the closing edge once", async () => {
    const kg = env.loci.knowledgeGraph;
    const a = { type: "node", name: "A" };
    const b = { type: "node", name: "B" };
    const c = { type: "node", name: "C" };
    await kg.addEdges({
      namespace: ns,
      edges: [
        { source: a, target: b, edgeType: "depends_on" },
        { source: b, target: c, edgeType: "depends_on" },
        { source: c, target: a, edgeType: "depends_on" },
        { source: a, target: a, edgeType: "relates_to" },
      ],
    });
    for (const direction of ["out", "in", "both"] as const) {
      const t = await kg.traverse({ namespace: ns, start: a, maxDepth: 6, direction });
      expect(names(t.nodes).sort()).toEqual(["A", "B", "C"]);
      expect(t.edges).toHaveLength(4);
    }
    const t = await kg.traverse({ namespace: ns, start: a, maxDepth: 6 });
    expect(t.nodes.map((n) => n.depth)).toEqual([0, 1, 2]);
    expect(t.paths[2]).toBe("A -depends_on-> B -depends_on-> C");
    const limited = await kg.traverse({ namespace: ns, start: a, maxDepth: 6, limit: 2 });
    expect(limited).toMatchObject({ truncated: true, paths: ["A", "A -depends_on-> B"] });
  });

  it("filters by direction and edge type", async () => {
    await seed();
    const kg = env.loci.knowledgeGraph;
    await kg.addEdge({ namespace: ns, source: bob, target: acme, edgeType: "works_at" });
    await kg.addEdge({
      namespace: ns,
      source: acme,
      target: { type: "company", name: "Globex" },
      edgeType: "part_of",
    });
    const worksAt = await kg.traverse({
      namespace: ns,
      start: alice,
      direction: "both",
      edgeTypes: ["works_at"],
    });
    expect(worksAt.paths).toEqual([
      "Alice Chen",
      "Alice Chen -works_at-> Acme Corp",
      "Alice Chen -works_at-> Acme Corp <-works_at- Bob Ray",
    ]);
    const out = await kg.traverse({ namespace: ns, start: alice, edgeTypes: ["works_at", "considering"] });
    expect(names(out.nodes)).toEqual(["Alice Chen", "Acme Corp", "Enterprise Plan Q2"]);

    const both = await kg.neighbors({ namespace: ns, entity: acme });
    expect(names(both).sort()).toEqual(["Alice Chen", "Bob Ray", "Enterprise Plan Q2", "Globex"]);
    const incoming = await kg.neighbors({ namespace: ns, entity: acme, direction: "in" });
    expect(names(incoming)).toEqual(["Alice Chen", "Bob Ray"]);
    expect(incoming[0]!.edges).toMatchObject([{ source: alice, target: acme, edgeType: "works_at" }]);
    const typed = await kg.neighbors({
      namespace: ns,
      entity: acme,
      direction: "out",
      edgeTypes: ["part_of"],
    });
    expect(names(typed)).toEqual(["Globex"]);
  });

  it("finds shortest paths, directed by default, or null", async () => {
    await seed();
    const kg = env.loci.knowledgeGraph;
    await kg.addEdge({ namespace: ns, source: bob, target: acme, edgeType: "works_at" });
    const p = await kg.shortestPath({ namespace: ns, from: alice, to: plan });
    expect(p!.chain).toBe("Alice Chen -works_at-> Acme Corp -considering-> Enterprise Plan Q2");
    expect(names(p!.nodes)).toEqual(["Alice Chen", "Acme Corp", "Enterprise Plan Q2"]);
    expect(p!.edges.map((e) => e.edgeType)).toEqual(["works_at", "considering"]);
    expect(await kg.shortestPath({ namespace: ns, from: alice, to: bob })).toBeNull();
    const both = await kg.shortestPath({ namespace: ns, from: alice, to: bob, direction: "both" });
    expect(both!.chain).toBe("Alice Chen -works_at-> Acme Corp <-works_at- Bob Ray");
    expect(
      await kg.shortestPath({ namespace: ns, from: alice, to: plan, edgeTypes: ["works_at"] }),
    ).toBeNull();
    expect((await kg.shortestPath({ namespace: ns, from: plan, to: alice, direction: "in" }))!.chain).toBe(
      "Enterprise Plan Q2 <-considering- Acme Corp <-works_at- Alice Chen",
    );
    expect(await kg.shortestPath({ namespace: ns, from: alice, to: alice })).toMatchObject({
      chain: "Alice Chen",
      edges: [],
    });
  });
});
