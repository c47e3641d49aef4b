import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acme, alice, bob, plan, SEED_NAMESPACE, seedChain } from "../testing/graph-seed.js";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";
import type { EntityRef, LociEvent } from "../types.js";

let env: TempEngine;
beforeEach(async () => {
  env = await openTempEngine();
});
afterEach(async () => env.cleanup());

const ns = SEED_NAMESPACE;
const seed = () => seedChain(env.loci);

describe("knowledge graph: edges and entities", () => {
  it("builds the seed chain with a custom edge type and round-trips edge metadata exactly", async () => {
    await seed();
    const kg = env.loci.knowledgeGraph;
    const got = await kg.getEntity({ namespace: ns, entity: { type: "company", name: " acme   CORP " } });
    expect(got).toMatchObject({ type: "company", name: "Acme Corp", properties: {} });
    expect(got.inEdges).toMatchObject([{ source: alice, target: acme, edgeType: "works_at", metadata: {} }]);
    expect(got.outEdges).toHaveLength(1);
    expect(got.outEdges[0]).toMatchObject({ source: acme, target: plan, edgeType: "considering" });
    expect(got.outEdges[0]!.metadata).toStrictEqual({ discovered_by: "researcher", confidence: 0.82 });
    expect(Date.parse(got.outEdges[0]!.createdAt)).toBeGreaterThan(0);
  });

  it("merges metadata when the same (source, target, type) is added again, keeping one edge", async () => {
    const kg = env.loci.knowledgeGraph;
    const first = await kg.addEdge({
      namespace: ns,
      source: alice,
      target: acme,
      edgeType: "works_at",
      metadata: { discovered_by: "researcher", confidence: 0.6 },
    });
    const second = await kg.addEdge({
      namespace: ns,
      source: { type: "person", name: "ALICE CHEN" },
      target: acme,
      edgeType: "works_at",
      metadata: { confidence: 0.9, title: "CTO" },
    });
    expect(second.metadata).toStrictEqual({ discovered_by: "researcher", confidence: 0.9, title: "CTO" });
    expect(second.source.name).toBe("Alice Chen"); // the display name first used
    expect(second.createdAt).toBe(first.createdAt);
    await kg.addEdge({ namespace: ns, source: alice, target: acme, edgeType: "relates_to" });
    const { outEdges } = await kg.getEntity({ namespace: ns, entity: alice });
    expect(outEdges.map((e) => e.edgeType).sort()).toEqual(["relates_to", "works_at"]);
  });

  it("upserts entities, merging properties", async () => {
    const kg = env.loci.knowledgeGraph;
    await kg.upsertEntity({ namespace: ns, entity: acme, properties: { tier: "gold", seats: 10 } });
    const e = await kg.upsertEntity({ namespace: ns, entity: acme, properties: { seats: 40 } });
    expect(e).toMatchObject({ name: "Acme Corp", properties: { tier: "gold", seats: 40 } });
    expect((await kg.getEntity({ namespace: ns, entity: acme })).properties).toEqual({
      tier: "gold",
      seats: 40,
    });
  });

  it("removes edges and entities (with their edges and memory links)", async () => {
    await seed();
    const kg = env.loci.knowledgeGraph;
    const m = await env.loci.memory.add({ namespace: ns, content: "renewal call", entities: [acme, plan] });
    expect(m.entities).toEqual([acme, plan]);
    expect(await kg.removeEdge({ namespace: ns, source: alice, target: acme, edgeType: "relates_to" })).toBe(
      false,
    );
    expect(await kg.removeEdge({ namespace: ns, source: alice, target: acme, edgeType: "works_at" })).toBe(
      true,
    );
    expect(await kg.removeEdge({ namespace: ns, source: bob, target: acme, edgeType: "works_at" })).toBe(
      false,
    );
    expect((await kg.getEntity({ namespace: ns, entity: alice })).outEdges).toEqual([]);
    expect(await kg.removeEntity({ namespace: ns, entity: acme })).toBe(true);
    expect(await kg.removeEntity({ namespace: ns, entity: acme })).toBe(false);
    expect((await kg.getEntity({ namespace: ns, entity: plan })).inEdges).toEqual([]);
    expect((await env.loci.memory.get({ namespace: ns, id: m.id })).entities).toEqual([plan]);
  });

  it("rejects invalid edge types, entity types and names, and reports missing entities, with codes", async () => {
    const kg = env.loci.knowledgeGraph;
    await seed();
    for (const edgeType of ["Works_At", "works-at", "1st", "", "x".repeat(65), "a b"]) {
      await expect(
        kg.addEdge({ namespace: ns, source: alice, target: acme, edgeType }),
      ).rejects.toMatchObject({
        name: "ValidationError",
        code: "INVALID_ARGUMENT",
        details: { field: "edge.edgeType" },
      });
    }
    for (const source of [
      { type: "Person", name: "x" },
      { type: "per son", name: "x" },
      { type: "person", name: "   " },
      { type: "person", name: "x".repeat(257) },
      { type: "person", name: "a\u0000b" },
      { type: "person" },
    ]) {
      await expect(
        kg.addEdge({ namespace: ns, source: source as EntityRef, target: acme, edgeType: "works_at" }),
      ).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    }
    await expect(
      kg.addEdge({ namespace: ns, source: alice, target: acme, edgeType: "works_at", metadata: [] as never }),
    ).rejects.toMatchObject({ code: "INVALID_ARGUMENT", details: { field: "edge.metadata" } });
    const missing = { namespace: ns, entity: { type: "person", name: "Nobody" } };
    await expect(kg.getEntity(missing)).rejects.toMatchObject({
      name: "NotFoundError",
      code: "ENTITY_NOT_FOUND",
      status: 404,
    });
    await expect(kg.neighbors(missing)).rejects.toMatchObject({ code: "ENTITY_NOT_FOUND" });
    await expect(kg.traverse({ namespace: ns, start: missing.entity })).rejects.toMatchObject({
      code: "ENTITY_NOT_FOUND",
    });
    await expect(kg.shortestPath({ namespace: ns, from: alice, to: missing.entity })).rejects.toMatchObject({
      code: "ENTITY_NOT_FOUND",
    });
    await expect(kg.traverse({ namespace: ns, start: alice, maxDepth: 7 })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    await expect(
      kg.traverse({ namespace: ns, start: alice, direction: "up" as never }),
    ).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    await expect(kg.getEntity({ namespace: "nope", entity: alice })).rejects.toMatchObject({
      code: "NAMESPACE_NOT_FOUND",
    });
    await expect(
      kg.addEdges({
        namespace: ns,
        edges: Array(1001).fill({ source: alice, target: acme, edgeType: "works_at" }),
      }),
    ).rejects.toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
  });

  it("adds a batch atomically: one invalid edge writes nothing", async () => {
    const kg = env.loci.knowledgeGraph;
    const edges = [
      { source: alice, target: acme, edgeType: "works_at" },
      { source: bob, target: acme, edgeType: "BAD" },
    ];
    await expect(kg.addEdges({ namespace: ns, edges })).rejects.toMatchObject({
      details: { field: "edges[1].edgeType" },
    });
    await expect(kg.getEntity({ namespace: ns, entity: alice })).rejects.toMatchObject({
      code: "NAMESPACE_NOT_FOUND",
    });
    const added = await kg.addEdges({
      namespace: ns,
      edges: [edges[0]!, { ...edges[0]!, edgeType: "part_of" }],
    });
    expect(added.map((e) => e.edgeType)).toEqual(["works_at", "part_of"]);
  });

  it("persists across reopen, loading the graph lazily", async () => {
    await seed();
    await env.loci.memory.add({ namespace: ns, content: "Q2 pricing", entities: [plan] });
    const loci = await env.reopen();
    const t = await loci.knowledgeGraph.traverse({ namespace: ns, start: alice });
    expect(t.paths.at(-1)).toBe("Alice Chen -works_at-> Acme Corp -considering-> Enterprise Plan Q2");
    expect(t.edges[1]!.metadata).toStrictEqual({ discovered_by: "researcher", confidence: 0.82 });
    const hits = await loci.memory.search({ namespace: ns, query: "Alice Chen", graph: { depth: 2 } });
    expect(hits[0]!.memory.entities).toEqual([plan]);
  });

  it("loses no edge under concurrent writers (5 agents × 40 edges)", async () => {
    const kg = env.loci.knowledgeGraph;
    await Promise.all(
      Array.from({ length: 5 }, (_, agent) =>
        Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            kg.addEdge({
              namespace: ns,
              source: { type: "agent", name: `agent ${agent}` },
              target: { type: "fact", name: `fact ${i % 10}` },
              edgeType: i < 10 ? "relates_to" : `found_${Math.floor(i / 10)}`,
              metadata: { by: agent, i },
            }),
          ),
        ),
      ),
    );
    // Every agent also asserts the same shared edge: merged, never duplicated.
    await Promise.all(
      Array.from({ length: 5 }, (_, agent) =>
        kg.addEdge({
          namespace: ns,
          source: acme,
          target: plan,
          edgeType: "considering",
          metadata: { [`a${agent}`]: 1 },
        }),
      ),
    );
    const data = await kg.export({ namespace: ns });
    expect(data.edges).toHaveLength(5 * 40 + 1);
    expect(data.entities).toHaveLength(5 + 10 + 2);
    expect(data.edges.find((e) => e.edgeType === "considering")!.metadata).toEqual({
      a0: 1,
      a1: 1,
      a2: 1,
      a3: 1,
      a4: 1,
    });
    const loci = await env.reopen();
    expect((await loci.knowledgeGraph.export({ namespace: ns })).edges).toHaveLength(201);
  });

  it("delivers entity and edge events to subscribers", async () => {
    const got: LociEvent[] = [];
    await env.loci.namespace.create({ name: ns });
    await env.loci.events.subscribe(
      { namespace: ns, types: ["edge.added", "edge.updated", "edge.removed"] },
      (e) => {
        got.push(e);
      },
    );
    const all: string[] = [];
    await env.loci.events.subscribe({ namespace: ns }, (e) => {
      all.push(e.type);
    });
    await seed();
    await env.loci.knowledgeGraph.addEdge({
      namespace: ns,
      source: alice,
      target: acme,
      edgeType: "works_at",
      metadata: { v: 2 },
    });
    await env.loci.knowledgeGraph.removeEdge({
      namespace: ns,
      source: alice,
      target: acme,
      edgeType: "works_at",
    });
    await env.loci.knowledgeGraph.removeEntity({ namespace: ns, entity: plan });
    await new Promise((r) => setTimeout(r, 10));
    expect(got.map((e) => e.type)).toEqual([
      "edge.added",
      "edge.added",
      "edge.updated",
      "edge.removed",
      "edge.removed",
    ]);
    expect(got[1]).toMatchObject({
      namespace: ns,
      id: "company:acme corp -considering-> product:enterprise plan q2",
      data: {
        source: acme,
        target: plan,
        edgeType: "considering",
        metadata: { discovered_by: "researcher", confidence: 0.82 },
      },
    });
    expect(all).toEqual([
      "entity.added",
      "entity.added",
      "edge.added",
      "entity.added",
      "edge.added",
      "edge.updated",
      "edge.removed",
      "edge.removed",
      "entity.removed",
    ]);
  });
});
