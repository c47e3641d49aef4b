import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";

let env: TempEngine;
beforeEach(async () => {
  env = await openTempEngine();
});
afterEach(async () => env.cleanup());

const ns = "kg";
const alice = { type: "person", name: "Alice" };
const acme = { type: "company", name: "Acme" };
type Bag = Record<string, unknown>;

describe("graph results are the caller's own copies", () => {
  it("mutating returned properties changes no later read", async () => {
    const kg = env.loci.knowledgeGraph;
    const upserted = await kg.upsertEntity({ namespace: ns, entity: alice, properties: { role: "cto" } });
    (upserted.properties as Bag).role = "changed by caller";
    const got = await kg.getEntity({ namespace: ns, entity: alice });
    expect(got.properties).toStrictEqual({ role: "cto" });
    (got.properties as Bag).leaked = 1;
    await kg.addEdge({ namespace: ns, source: alice, target: acme, edgeType: "works_at" });
    const walk = await kg.traverse({ namespace: ns, start: alice, maxDepth: 1 });
    (walk.nodes[0]!.properties as Bag).leaked = 2;
    const near = await kg.neighbors({ namespace: ns, entity: acme });
    expect(near[0]!.properties).toStrictEqual({ role: "cto" });
    (near[0]!.properties as Bag).leaked = 3;
    const exported = await kg.export({ namespace: ns });
    expect(exported.entities.find((e) => e.name === "Alice")!.properties).toStrictEqual({ role: "cto" });
  });

  it("mutating returned edge metadata changes no later read", async () => {
    const kg = env.loci.knowledgeGraph;
    const edge = await kg.addEdge({
      namespace: ns,
      source: alice,
      target: acme,
      edgeType: "works_at",
      metadata: { since: 2020 },
    });
    (edge.metadata as Bag).since = 1999;
    const got = await kg.getEntity({ namespace: ns, entity: alice });
    expect(got.outEdges[0]!.metadata).toStrictEqual({ since: 2020 });
    (got.outEdges[0]!.metadata as Bag).leaked = true;
    const walk = await kg.traverse({ namespace: ns, start: alice, maxDepth: 1 });
    expect(walk.edges[0]!.metadata).toStrictEqual({ since: 2020 });
    (walk.edges[0]!.metadata as Bag).leaked = true;
    const path = await kg.shortestPath({ namespace: ns, from: alice, to: acme });
    expect(path!.edges[0]!.metadata).toStrictEqual({ since: 2020 });
  });
});
