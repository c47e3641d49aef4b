/**
 * Knowledge-graph part of the storage-driver conformance suite (registered by
 * `runStorageDriverSuite` in `driver.case.ts`): entities, edges, memory links, change log, durability.
 *
 * @module
 */
import { describe, expect, it } from "vitest";
import { toEntityLink } from "../engine/graph-model.js";
import type { EntityLink, NamespaceStore, NewMemoryRecord } from "./driver.js";
import { createNamespace, type DriverCaseContext } from "./records.case.js";

const link = (type: string, name: string): EntityLink => toEntityLink({ type, name }, "entity");
const alice = link("person", "Alice Chen");
const acme = link("company", "Acme Corp");
const plan = link("product", "Enterprise Plan Q2");

let n = 0;
const memory = (over: Partial<NewMemoryRecord> = {}): NewMemoryRecord => {
  n++;
  return {
    id: `g-${n}`,
    content: `graph memory ${n}`,
    metadata: {},
    sessionId: null,
    agentId: null,
    importance: 0.5,
    createdAt: 1_000 + n,
    updatedAt: 1_000 + n,
    lastAccessedAt: 1_000 + n,
    accessCount: 0,
    expiresAt: null,
    embedding: Float32Array.from([n, 1, 0, 0.5]),
    ...over,
  };
};

async function open(ctx: DriverCaseContext, name = "g"): Promise<NamespaceStore> {
  const d = ctx.driver();
  await createNamespace(d, name);
  return d.openNamespace(name);
}

const types = async (store: NamespaceStore, after = 0) =>
  (await store.changesSince(after)).map((c) => `${c.type} ${c.subjectId}`);

/** Registers the knowledge-graph conformance tests. */
export function registerGraphCases(ctx: DriverCaseContext): void {
  describe("knowledge graph", () => {
    it("creates endpoints, merges an edge's metadata instead of duplicating, and skips no-op merges", async () => {
      const store = await open(ctx);
      const metadata = { discovered_by: "researcher", confidence: 0.9 };
      const first = await store.upsertGraph(
        { edges: [{ source: alice, target: acme, edgeType: "works_at", metadata }] },
        10,
      );
      expect(first.createdEntities.map((e) => e.key)).toEqual([alice.key, acme.key]);
      expect(first.edges[0]).toEqual({
        sourceKey: alice.key,
        targetKey: acme.key,
        edgeType: "works_at",
        metadata,
        createdAt: 10,
        updatedAt: 10,
      });
      expect(first.changed).toEqual({ entities: 2, edges: 1 });
      const again = link("person", "  alice   CHEN ");
      const merged = await store.upsertGraph(
        {
          edges: [
            {
              source: again,
              target: acme,
              edgeType: "works_at",
              metadata: { confidence: 0.95, role: "cto" },
            },
          ],
        },
        20,
      );
      expect(merged.createdEntities).toEqual([]);
      expect(merged.edges[0]).toMatchObject({
        metadata: { discovered_by: "researcher", confidence: 0.95, role: "cto" },
        createdAt: 10,
        updatedAt: 20,
      });
      const generation = await store.generation();
      const noop = await store.upsertGraph(
        { edges: [{ source: alice, target: acme, edgeType: "works_at", metadata: { role: "cto" } }] },
        30,
      );
      expect(noop.changed).toEqual({ entities: 0, edges: 0 });
      expect(noop.edges[0]!.updatedAt).toBe(20);
      expect(await store.generation()).toBe(generation);
      const g = await store.loadGraph();
      expect(g.edges).toHaveLength(1);
      expect(g.entities.find((e) => e.key === alice.key)!.name).toBe("Alice Chen");
      const edgeId = `${alice.key} -works_at-> ${acme.key}`;
      expect(await types(store)).toEqual([
        `entity.added ${alice.key}`,
        `entity.added ${acme.key}`,
        `edge.added ${edgeId}`,
        `edge.updated ${edgeId}`,
      ]);
      const [added] = await store.changesSince(2);
      expect(added!.payload).toEqual({
        source: { type: "person", name: "Alice Chen" },
        target: { type: "company", name: "Acme Corp" },
        edgeType: "works_at",
        metadata,
      });
    });

    it("merges entity properties and keeps parallel edges of different types apart", async () => {
      const store = await open(ctx);
      const r = await store.upsertGraph({ entities: [{ entity: acme, properties: { tier: "gold" } }] }, 5);
      expect(r.entities[0]).toMatchObject({ name: "Acme Corp", properties: { tier: "gold" }, createdAt: 5 });
      const r2 = await store.upsertGraph({ entities: [{ entity: acme, properties: { seats: 40 } }] }, 6);
      expect(r2.entities[0]).toMatchObject({
        properties: { tier: "gold", seats: 40 },
        createdAt: 5,
        updatedAt: 6,
      });
      await store.upsertGraph(
        {
          edges: [
            { source: acme, target: plan, edgeType: "considering", metadata: {} },
            { source: acme, target: plan, edgeType: "relates_to", metadata: {} },
            { source: plan, target: acme, edgeType: "relates_to", metadata: {} },
          ],
        },
        7,
      );
      expect((await store.loadGraph()).edges).toHaveLength(3);
      expect(await types(store)).toEqual([
        `entity.added ${acme.key}`,
        `entity.updated ${acme.key}`,
        `entity.added ${plan.key}`,
        `edge.added ${acme.key} -considering-> ${plan.key}`,
        `edge.added ${acme.key} -relates_to-> ${plan.key}`,
        `edge.added ${plan.key} -relates_to-> ${acme.key}`,
      ]);
    });

    it("removes edges and entities (with their edges and memory links) and logs each removal", async () => {
      const store = await open(ctx);
      await store.upsertGraph(
        {
          edges: [
            { source: alice, target: acme, edgeType: "works_at", metadata: {} },
            { source: acme, target: plan, edgeType: "considering", metadata: {} },
            { source: plan, target: alice, edgeType: "relates_to", metadata: {} },
          ],
        },
        1,
      );
      const { inserted } = await store.insert([memory({ entities: [acme, alice] })]);
      const after = await store.generation();
      const gone = await store.removeEdges(
        [
          { sourceKey: alice.key, targetKey: acme.key, edgeType: "works_at" },
          { sourceKey: alice.key, targetKey: acme.key, edgeType: "part_of" },
        ],
        2,
      );
      expect(gone.map((e) => e.edgeType)).toEqual(["works_at"]);
      const removal = await store.removeEntity(acme.key, 3);
      expect(removal!.entity.key).toBe(acme.key);
      expect(removal!.edges.map((e) => e.edgeType)).toEqual(["considering"]);
      expect(removal!.memorySeqs).toEqual([inserted[0]!.seq]);
      expect(await store.removeEntity(acme.key, 4)).toBeNull();
      expect(await types(store, after)).toEqual([
        `edge.removed ${alice.key} -works_at-> ${acme.key}`,
        `edge.removed ${acme.key} -considering-> ${plan.key}`,
        `entity.removed ${acme.key}`,
      ]);
      const g = await store.loadGraph();
      expect(g.entities.map((e) => e.key).sort()).toEqual([alice.key, plan.key].sort());
      expect(g.edges.map((e) => e.edgeType)).toEqual(["relates_to"]);
      expect(g.links).toEqual([[inserted[0]!.seq, alice.key]]);
      const [rec] = await store.get([inserted[0]!.id]);
      expect(rec!.entities).toEqual([alice]);
    });

    it("links memories to entities atomically with the insert and unlinks them on delete, evict and expire", async () => {
      const store = await open(ctx);
      await store.upsertGraph({ entities: [{ entity: acme, properties: {} }] }, 1);
      const { inserted, createdEntities } = await store.insert(
        [
          memory({ entities: [link("company", "ACME corp"), alice] }),
          memory({ entities: [alice] }),
          memory(),
        ],
        {},
      );
      expect(createdEntities.map((e) => e.key)).toEqual([alice.key]);
      expect(inserted[0]!.entities).toEqual([acme, alice].sort((a, b) => (a.key < b.key ? -1 : 1)));
      expect(inserted[2]!.entities).toEqual([]);
      expect((await store.getBySeq([inserted[1]!.seq]))[0]!.entities).toEqual([alice]);
      expect((await store.scan({ limit: 10 })).map((r) => r.entities.length)).toEqual([2, 1, 0]);
      expect((await store.changesSince(0)).filter((c) => c.type === "entity.added")).toHaveLength(2);

      const generation = await store.generation();
      const dup = memory({ id: inserted[0]!.id, entities: [link("person", "Nobody")] });
      await expect(store.insert([memory({ entities: [plan] }), dup])).rejects.toMatchObject({
        code: "ALREADY_EXISTS",
      });
      expect(await store.generation()).toBe(generation);
      expect((await store.loadGraph()).entities).toHaveLength(2);

      const [deleted] = await store.delete([inserted[0]!.id], 5);
      expect(deleted!.entities).toHaveLength(2);
      await store.delete([inserted[1]!.id], 6, "memory.expired");
      const fresh = memory({ entities: [plan] });
      await store.insert([fresh], { evict: [fresh.id] });
      expect((await store.loadGraph()).links).toEqual([]);
      expect((await store.loadGraph()).entities).toHaveLength(3);
    });

    it("keeps the graph across close and reopen", async () => {
      let store = await open(ctx);
      await store.upsertGraph(
        {
          entities: [{ entity: alice, properties: { title: "CTO" } }],
          edges: [{ source: alice, target: acme, edgeType: "works_at", metadata: { confidence: 0.9 } }],
        },
        1,
      );
      const { inserted } = await store.insert([memory({ entities: [acme] })]);
      const before = await store.loadGraph();
      const driver = await ctx.reopen();
      store = await driver.openNamespace("g");
      expect(await store.loadGraph()).toEqual(before);
      expect(before.links).toEqual([[inserted[0]!.seq, acme.key]]);
      expect(before.entities.find((e) => e.key === alice.key)!.properties).toEqual({ title: "CTO" });
    });
  });
}
