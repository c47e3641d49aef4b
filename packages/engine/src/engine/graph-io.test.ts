import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";
import type { GraphExport } from "../types.js";

let env: TempEngine;
beforeEach(async () => {
  env = await openTempEngine();
});
afterEach(async () => env.cleanup());

const alice = { type: "person", name: "Alice Chen" };
const acme = { type: "company", name: "Acme Corp" };
const plan = { type: "product", name: "Enterprise Plan Q2" };

describe("knowledge graph export / import", () => {
  it("reproduces the graph in another namespace, and a second import changes nothing", async () => {
    const kg = env.loci.knowledgeGraph;
    await kg.upsertEntity({ namespace: "a", entity: alice, properties: { title: "CTO", emoji: "😀" } });
    await kg.addEdges({
      namespace: "a",
      edges: [
        { source: alice, target: acme, edgeType: "works_at", metadata: { discovered_by: "researcher" } },
        {
          source: acme,
          target: plan,
          edgeType: "considering",
          metadata: { confidence: 0.82, nested: { a: [1] } },
        },
        { source: plan, target: alice, edgeType: "relates_to" },
      ],
    });
    const data = await kg.export({ namespace: "a" });
    expect(data.version).toBe(1);
    expect(data.entities).toHaveLength(3);
    expect(data.edges).toHaveLength(3);
    // Through JSON, as a file or an HTTP body would carry it.
    const wire = JSON.parse(JSON.stringify(data)) as GraphExport;
    expect(await kg.import({ namespace: "b", data: wire })).toEqual({ entities: 3, edges: 3 });
    expect(await kg.export({ namespace: "b" })).toEqual(data);
    const events: string[] = [];
    await env.loci.events.subscribe({ namespace: "b" }, (e) => {
      events.push(e.type);
    });
    expect(await kg.import({ namespace: "b", data: wire, mode: "merge" })).toEqual({ entities: 0, edges: 0 });
    expect(await kg.export({ namespace: "b" })).toEqual(data);
    const t = await kg.traverse({ namespace: "b", start: alice });
    expect(t.paths.at(-1)).toBe("Alice Chen -works_at-> Acme Corp -considering-> Enterprise Plan Q2");
    const loci = await env.reopen();
    expect(await loci.knowledgeGraph.export({ namespace: "b" })).toEqual(data);
    expect(events).toEqual([]);
  });

  it("merges into an existing graph", async () => {
    const kg = env.loci.knowledgeGraph;
    await kg.addEdge({
      namespace: "a",
      source: alice,
      target: acme,
      edgeType: "works_at",
      metadata: { confidence: 0.5 },
    });
    await kg.addEdge({
      namespace: "b",
      source: alice,
      target: acme,
      edgeType: "works_at",
      metadata: { source: "crm" },
    });
    const result = await kg.import({ namespace: "b", data: await kg.export({ namespace: "a" }) });
    expect(result).toEqual({ entities: 0, edges: 1 });
    const [edge] = (await kg.getEntity({ namespace: "b", entity: alice })).outEdges;
    expect(edge!.metadata).toEqual({ source: "crm", confidence: 0.5 });
  });

  it("validates the data and writes nothing when any item is bad", async () => {
    const kg = env.loci.knowledgeGraph;
    const good = { source: alice, target: acme, edgeType: "works_at" };
    const bad: [unknown, string][] = [
      [null, "data"],
      [{ version: 2, entities: [], edges: [] }, "data.version"],
      [{ version: 1, entities: {}, edges: [] }, "data.entities"],
      [{ version: 1, entities: [], edges: [good, { ...good, edgeType: "Nope" }] }, "data.edges[1].edgeType"],
      [{ version: 1, entities: [{ type: "person" }], edges: [] }, "data.entities[0].name"],
      [
        { version: 1, entities: [{ ...alice, createdAt: "yesterday" }], edges: [] },
        "data.entities[0].createdAt",
      ],
      [{ version: 1, entities: [], edges: [{ ...good, metadata: "x" }] }, "data.edges[0].metadata"],
    ];
    for (const [data, field] of bad) {
      await expect(kg.import({ namespace: "c", data: data as GraphExport })).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
        details: { field },
      });
    }
    await expect(
      kg.import({ namespace: "c", data: { version: 1, entities: [], edges: [] }, mode: "replace" as never }),
    ).rejects.toMatchObject({
      details: { field: "mode" },
    });
    await expect(kg.export({ namespace: "c" })).rejects.toMatchObject({ code: "NAMESPACE_NOT_FOUND" });
  });
});
