/**
 * One behaviour suite for every `MemoryClient`: the embedded engine and `LociClient` over HTTP must
 * give the same results and the same typed errors.
 */
import {
  ConflictError,
  FilterError,
  LociError,
  type LociEvent,
  type MemoryClient,
  NotFoundError,
  ValidationError,
} from "@loci/engine";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

/** Options of {@link runClientSuite}. */
export interface ClientSuiteOptions {
  setup: () => Promise<{ client: MemoryClient; cleanup: () => Promise<void> }>;
}

async function failure(p: Promise<unknown>): Promise<LociError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!LociError.isInstance(err)) throw new Error(`expected a LociError, got ${String(err)}`);
  return err;
}

const waitFor = async (check: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
};

/** Registers the suite. */
export function runClientSuite(opts: ClientSuiteOptions): void {
  let client: MemoryClient;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ client, cleanup } = await opts.setup());
  });
  afterEach(async () => cleanup());

  describe("namespaces", () => {
    it("creates, gets, lists, configures and deletes", async () => {
      const ns = await client.namespace.create({ name: "team-shared", description: "finalized outputs" });
      expect(ns).toMatchObject({ name: "team-shared", description: "finalized outputs", memoryCount: 0 });
      expect(ns.indexing).toEqual({ pendingVectors: 0, graphRebuildPending: 0, sentenceBackfillPending: 0 });
      expect(ns.config).toMatchObject({
        decayStrategy: "none",
        decayHalfLifeHours: 168,
        maxMemories: null,
        sentenceVectors: false,
        vectorIndex: { m: 16, efConstruction: 100, efSearch: 64 },
      });
      await client.namespace.create({ name: "alpha", config: { vectorIndex: { m: 32 } } });
      const page = await client.namespace.list({ limit: 1 });
      expect(page.items.map((n) => n.name)).toEqual(["alpha"]);
      const next = await client.namespace.list({ limit: 1, cursor: page.nextCursor! });
      expect(next.items.map((n) => n.name)).toEqual(["team-shared"]);
      const configured = await client.namespace.configure({
        namespace: "alpha",
        description: "scratch",
        decayStrategy: "exponential",
        decayHalfLifeHours: 24,
        maxMemories: 100,
        sentenceVectors: true,
        vectorIndex: { efSearch: 128 },
      });
      expect(configured).toMatchObject({
        description: "scratch",
        config: {
          decayStrategy: "exponential",
          maxMemories: 100,
          sentenceVectors: true,
          vectorIndex: { m: 32, efConstruction: 100, efSearch: 128 },
        },
      });
      expect(await client.namespace.delete({ namespace: "alpha" })).toBe(true);
      expect(await client.namespace.delete({ namespace: "alpha" })).toBe(false);
    });

    it("reports a graph rebuild in indexing until it is done", async () => {
      await client.memory.addMany({
        namespace: "dense",
        memories: Array.from({ length: 30 }, (_, i) => ({ content: `ticket ${i} about the deploy` })),
      });
      await vi.waitFor(async () => {
        expect((await client.namespace.get({ namespace: "dense" })).indexing.pendingVectors).toBe(0);
      });
      // The new graph is built in the background (how far it got when configure answers depends on the
      // storage: the SQLite server test sees all 30 still to copy).
      const configured = await client.namespace.configure({ namespace: "dense", vectorIndex: { m: 24 } });
      expect(configured.config.vectorIndex.m).toBe(24);
      expect(configured.indexing.graphRebuildPending).toBeLessThanOrEqual(30);
      await vi.waitFor(async () => {
        expect((await client.namespace.get({ namespace: "dense" })).indexing.graphRebuildPending).toBe(0);
      });
      const hits = await client.memory.search({ namespace: "dense", query: "ticket 7 deploy", limit: 30 });
      expect(hits).toHaveLength(30);
    });

    it("gives typed errors", async () => {
      await client.namespace.create({ name: "dup" });
      const dup = await failure(client.namespace.create({ name: "dup" }));
      expect(dup).toBeInstanceOf(ConflictError);
      expect(dup.code).toBe("ALREADY_EXISTS");
      const missing = await failure(client.namespace.get({ namespace: "missing" }));
      expect(missing).toBeInstanceOf(NotFoundError);
      expect(missing.code).toBe("NAMESPACE_NOT_FOUND");
      expect((await failure(client.namespace.create({ name: "_reserved" }))).code).toBe("INVALID_NAMESPACE");
      const badGraph = await failure(
        client.namespace.create({ name: "g", config: { vectorIndex: { m: 2 } } }),
      );
      expect(badGraph).toBeInstanceOf(ValidationError);
      expect(badGraph).toMatchObject({ code: "INVALID_ARGUMENT", details: { field: "vectorIndex.m" } });
    });
  });

  describe("memories", () => {
    it("adds, gets, updates, lists and deletes with metadata round-tripping exactly", async () => {
      const metadata = JSON.parse(
        '{"customer_id":"cust_42","nested":{"list":[1,"two",null,{"deep":true}]},"emoji":"😀","__proto__":{"x":1}}',
      );
      const m = await client.memory.add({
        namespace: "crm",
        content: "Acme Corp renews in Q2",
        metadata,
        agentId: "researcher",
        importance: 0.8,
        createdAt: "2026-01-02T03:04:05.000Z",
      });
      expect(m).toMatchObject({
        namespace: "crm",
        agentId: "researcher",
        importance: 0.8,
        createdAt: "2026-01-02T03:04:05.000Z",
      });
      expect(JSON.stringify(m.metadata)).toBe(JSON.stringify(metadata));
      expect(await client.memory.get({ namespace: "crm", id: m.id })).toEqual(m);
      const u = await client.memory.update({
        namespace: "crm",
        id: m.id,
        content: "Acme Corp renews in Q3",
        importance: 1,
      });
      expect(u).toMatchObject({ content: "Acme Corp renews in Q3", importance: 1 });
      const batch = await client.memory.addMany({
        namespace: "crm",
        memories: [{ content: "one", id: "fixed-1" }, { content: "two" }, { content: "three" }],
      });
      expect(batch.map((b) => b.content)).toEqual(["one", "two", "three"]);
      const first = await client.memory.list({ namespace: "crm", limit: 2 });
      const second = await client.memory.list({ namespace: "crm", limit: 2, cursor: first.nextCursor! });
      expect([...first.items, ...second.items].map((x) => x.content)).toEqual([
        "Acme Corp renews in Q3",
        "one",
        "two",
        "three",
      ]);
      expect(second.nextCursor).toBeNull();
      expect(
        (await client.memory.list({ namespace: "crm", filter: { customer_id: "cust_42" } })).items,
      ).toHaveLength(1);
      expect(await client.memory.delete({ namespace: "crm", id: "fixed-1" })).toBe(true);
      expect(await client.memory.delete({ namespace: "crm", id: "fixed-1" })).toBe(false);
      expect((await failure(client.memory.get({ namespace: "crm", id: "fixed-1" }))).code).toBe(
        "MEMORY_NOT_FOUND",
      );
    });

    it("rejects bad input with typed errors and writes nothing", async () => {
      const empty = await failure(client.memory.add({ namespace: "v", content: "" }));
      expect(empty).toBeInstanceOf(ValidationError);
      expect(empty.code).toBe("INVALID_ARGUMENT");
      expect((await failure(client.memory.add({ namespace: "v", content: "x", importance: 2 }))).code).toBe(
        "INVALID_ARGUMENT",
      );
      expect(
        (await failure(client.memory.add({ namespace: "v", content: "x", embedding: [1, 2] }))).code,
      ).toBe("EMBEDDING_MISMATCH");
      await client.memory.add({ namespace: "v", content: "ok", id: "same" });
      expect(
        (
          await failure(
            client.memory.addMany({
              namespace: "v",
              memories: [{ content: "a" }, { content: "b", id: "same" }],
            }),
          )
        ).code,
      ).toBe("ALREADY_EXISTS");
      expect((await client.memory.list({ namespace: "v" })).items).toHaveLength(1);
      expect((await failure(client.memory.list({ namespace: "v", cursor: "nonsense" }))).code).toBe(
        "INVALID_CURSOR",
      );
    });

    it("deletes many by selectors, and refuses removed ids when asked", async () => {
      await client.session.create({ namespace: "dm", id: "run" });
      await client.memory.addMany({
        namespace: "dm",
        memories: [
          { id: "a", content: "alpha", metadata: { team: "x" }, sessionId: "run" },
          { id: "b", content: "beta", metadata: { team: "x" } },
          { id: "c", content: "gamma", metadata: { team: "y" }, sessionId: "run" },
        ],
      });
      // count: what a delete with the same selectors would take.
      expect(await client.memory.count({ namespace: "dm" })).toBe(3);
      expect(await client.memory.count({ namespace: "dm", filter: { team: "x" } })).toBe(2);
      expect(await client.memory.count({ namespace: "dm", sessionId: "run", filter: { team: "x" } })).toBe(1);
      expect(
        (await failure(client.memory.count({ namespace: "dm", filter: { team: { $bogus: 1 } } }))).code,
      ).toBe("INVALID_FILTER");
      expect((await failure(client.memory.count({ namespace: "nope" }))).code).toBe("NAMESPACE_NOT_FOUND");
      expect(
        await client.memory.deleteMany({ namespace: "dm", sessionId: "run", filter: { team: "x" } }),
      ).toEqual({
        deleted: 1,
      });
      expect(await client.memory.deleteMany({ namespace: "dm", ids: ["b", "nope"] })).toEqual({ deleted: 1 });
      expect((await client.memory.list({ namespace: "dm" })).items.map((m) => m.id)).toEqual(["c"]);
      expect((await failure(client.memory.deleteMany({ namespace: "dm" }))).code).toBe("INVALID_ARGUMENT");
      const refused = await failure(
        client.memory.add({ namespace: "dm", id: "a", content: "alpha again", refuseRemovedIds: true }),
      );
      expect(refused.code).toBe("MEMORY_REMOVED");
      expect(refused.details).toMatchObject({ removed: [{ id: "a", reason: "deleted" }] });
      expect((await client.memory.add({ namespace: "dm", id: "a", content: "alpha again" })).id).toBe("a");
    });

    it("dedupe answers a repeat with the stored memory instead of a copy", async () => {
      const first = await client.memory.add({
        namespace: "dd",
        content: "Acme renews in Q2",
        metadata: { k: 1 },
      });
      const again = await client.memory.add({
        namespace: "dd",
        content: " Acme renews  in Q2",
        metadata: { k: 1 },
        dedupe: true,
      });
      expect(again.id).toBe(first.id);
      expect(again.accessCount).toBe(1);
      const batch = await client.memory.addMany({
        namespace: "dd",
        dedupe: true,
        memories: [
          { content: "Acme renews in Q2", metadata: { k: 1 } },
          { content: "new" },
          { content: "new" },
        ],
      });
      expect(batch.map((m) => m.id)).toEqual([first.id, batch[1]!.id, batch[1]!.id]);
      expect((await client.memory.list({ namespace: "dd" })).items).toHaveLength(2);
    });
  });

  describe("search", () => {
    beforeEach(async () => {
      await client.memory.addMany({
        namespace: "support",
        memories: [
          {
            content: "Customer cust_42 was charged twice for March",
            metadata: { customer_id: "cust_42", severity: 3 },
          },
          {
            content: "Customer cust_7 was charged twice for April",
            metadata: { customer_id: "cust_7", severity: 1 },
          },
          { content: "Password reset emails are delayed", metadata: { customer_id: "cust_42", severity: 2 } },
        ],
      });
      await client.memory.add({
        namespace: "shared",
        content: "Refund approved for the double charge",
        metadata: { customer_id: "cust_42" },
      });
    });

    it("ranks with a score breakdown, filters before the cut, and merges namespaces", async () => {
      const hits = await client.memory.search({ namespace: "support", query: "charged twice", limit: 2 });
      expect(hits).toHaveLength(2);
      expect(hits[0]!.scores).toMatchObject({ keyword: 1, retention: 1 });
      expect(hits[0]!.score).toBeGreaterThanOrEqual(hits[1]!.score);
      const filtered = await client.memory.search({
        namespace: "support",
        query: "charged twice",
        metadataFilter: { customer_id: "cust_42", severity: { $gte: 2 } },
      });
      expect(filtered.every((h) => h.memory.metadata.customer_id === "cust_42")).toBe(true);
      expect(filtered).toHaveLength(2);
      const multi = await client.memory.search({
        namespaces: ["support", "shared"],
        query: "double charge refund",
        limit: 10,
      });
      expect(new Set(multi.map((h) => h.namespace))).toEqual(new Set(["support", "shared"]));
      const keyword = await client.memory.search({
        namespace: "support",
        query: "password",
        mode: "keyword",
      });
      expect(keyword.map((h) => h.memory.content)).toEqual(["Password reset emails are delayed"]);
      expect(await client.memory.recall({ namespace: "support", query: "charged", topK: 1 })).toHaveLength(1);
    });

    it("passes session context and time options through, with their score components", async () => {
      await client.session.create({ namespace: "chat", id: "s1" });
      const at = Date.parse("2024-03-02T10:00:00Z");
      const [question, answer] = await client.memory.addMany({
        namespace: "chat",
        memories: [
          { content: "where was the offsite held?", sessionId: "s1", createdAt: at },
          { content: "Lisbon, by the river", sessionId: "s1", createdAt: at + 60_000 },
          { content: "the offsite budget is approved", createdAt: at + 5 * 86_400_000 },
        ],
      });
      const withContext = await client.memory.search({
        namespace: "chat",
        query: "offsite held",
        mode: "keyword",
        neighbors: { window: 1, weight: 0.5 },
      });
      const ctx = withContext.find((h) => h.memory.id === answer!.id);
      expect(ctx?.scores.context).toBeGreaterThan(0);
      expect(ctx?.scores.keyword).toBe(0);
      const plain = await client.memory.search({ namespace: "chat", query: "offsite held", mode: "keyword" });
      expect(plain.map((h) => h.memory.id)).not.toContain(answer!.id);
      const onDay = await client.memory.search({
        namespace: "chat",
        query: "offsite on 2 March 2024",
        mode: "keyword",
        neighbors: false,
        time: { mode: "filter", referenceTime: "2024-03-10T00:00:00Z" },
      });
      expect(onDay.map((h) => h.memory.id)).toEqual([question!.id]);
      expect(onDay[0]!.scores.time).toBe(1);
      const bad = await failure(
        client.memory.search({ namespace: "chat", query: "x", time: { mode: "soon" as never } }),
      );
      expect(bad.code).toBe("INVALID_ARGUMENT");
    });

    it("rejects unknown filter operators and bad options", async () => {
      const bad = await failure(
        client.memory.search({ namespace: "support", query: "x", metadataFilter: { $foo: 1 } }),
      );
      expect(bad).toBeInstanceOf(FilterError);
      expect(bad.code).toBe("INVALID_FILTER");
      expect((await failure(client.memory.search({ namespace: "support", query: "x", limit: 0 }))).code).toBe(
        "INVALID_ARGUMENT",
      );
      expect((await failure(client.memory.search({ namespace: "nope", query: "x" }))).code).toBe(
        "NAMESPACE_NOT_FOUND",
      );
    });
  });

  describe("knowledge graph", () => {
    const alice = { type: "person", name: "Alice Chen" };
    const acme = { type: "company", name: "Acme Corp" };
    const plan = { type: "deal", name: "Enterprise Plan Q2" };

    it("adds edges, merges metadata, traverses the seed chain and answers entity queries", async () => {
      await client.knowledgeGraph.addEdge({
        namespace: "kg",
        source: alice,
        target: acme,
        edgeType: "works_at",
        metadata: { discovered_by: "researcher", confidence: 0.9 },
      });
      const merged = await client.knowledgeGraph.addEdge({
        namespace: "kg",
        source: alice,
        target: acme,
        edgeType: "works_at",
        metadata: { confidence: 0.95 },
      });
      expect(merged.metadata).toEqual({ discovered_by: "researcher", confidence: 0.95 });
      await client.knowledgeGraph.addEdges({
        namespace: "kg",
        edges: [
          { source: acme, target: plan, edgeType: "considering" },
          { source: plan, target: alice, edgeType: "relates_to" },
        ],
      });
      const walk = await client.knowledgeGraph.traverse({ namespace: "kg", start: alice, maxDepth: 2 });
      expect(walk.paths).toContain("Alice Chen -works_at-> Acme Corp -considering-> Enterprise Plan Q2");
      expect(walk.nodes.map((n) => [n.name, n.depth])).toEqual([
        ["Alice Chen", 0],
        ["Acme Corp", 1],
        ["Enterprise Plan Q2", 2],
      ]);
      const entity = await client.knowledgeGraph.getEntity({
        namespace: "kg",
        entity: { type: "person", name: "  alice   CHEN " },
      });
      expect(entity.name).toBe("Alice Chen");
      expect(entity.outEdges.map((e) => e.edgeType)).toEqual(["works_at"]);
      expect(entity.inEdges.map((e) => e.edgeType)).toEqual(["relates_to"]);
      const near = await client.knowledgeGraph.neighbors({ namespace: "kg", entity: acme, direction: "out" });
      expect(near.map((n) => n.name)).toEqual(["Enterprise Plan Q2"]);
      const path = await client.knowledgeGraph.shortestPath({ namespace: "kg", from: alice, to: plan });
      expect(path?.chain).toBe("Alice Chen -works_at-> Acme Corp -considering-> Enterprise Plan Q2");
      const bad = await failure(
        client.knowledgeGraph.addEdge({ namespace: "kg", source: alice, target: acme, edgeType: "Bad Type" }),
      );
      expect(bad.code).toBe("INVALID_ARGUMENT");
      const missing = await failure(
        client.knowledgeGraph.getEntity({ namespace: "kg", entity: { type: "person", name: "Nobody" } }),
      );
      expect(missing).toBeInstanceOf(NotFoundError);
      expect(missing.code).toBe("ENTITY_NOT_FOUND");
      expect(
        await client.knowledgeGraph.removeEdge({
          namespace: "kg",
          source: plan,
          target: alice,
          edgeType: "relates_to",
        }),
      ).toBe(true);
      expect(
        await client.knowledgeGraph.removeEdge({
          namespace: "kg",
          source: plan,
          target: alice,
          edgeType: "relates_to",
        }),
      ).toBe(false);
      const exported = await client.knowledgeGraph.export({ namespace: "kg" });
      expect(await client.knowledgeGraph.import({ namespace: "kg-copy", data: exported })).toEqual({
        entities: 3,
        edges: 2,
      });
      expect(await client.knowledgeGraph.import({ namespace: "kg-copy", data: exported })).toEqual({
        entities: 0,
        edges: 0,
      });
      await client.knowledgeGraph.upsertEntity({
        namespace: "kg",
        entity: acme,
        properties: { industry: "manufacturing" },
      });
      expect((await client.knowledgeGraph.getEntity({ namespace: "kg", entity: acme })).properties).toEqual({
        industry: "manufacturing",
      });
      expect(await client.knowledgeGraph.removeEntity({ namespace: "kg", entity: plan })).toBe(true);
      expect(await client.knowledgeGraph.removeEntity({ namespace: "kg", entity: plan })).toBe(false);
    });

    it("links memories to entities and recalls them through the graph", async () => {
      await client.knowledgeGraph.addEdge({
        namespace: "crm",
        source: alice,
        target: acme,
        edgeType: "works_at",
      });
      const linked = await client.memory.add({
        namespace: "crm",
        content: "Budget approval expected next month",
        entities: [acme],
      });
      expect(linked.entities).toEqual([acme]);
      const hits = await client.memory.search({
        namespace: "crm",
        query: "What is Alice Chen working on?",
        graph: { depth: 2 },
      });
      const hit = hits.find((h) => h.memory.id === linked.id);
      expect(hit?.scores.graph).toBeGreaterThan(0);
      // Re-ranking only: the linked memory is a vector candidate here, and keeps its graph score.
      const reranked = await client.memory.search({
        namespace: "crm",
        query: "What is Alice Chen working on?",
        graph: { depth: 2, expand: false },
      });
      expect(reranked.find((h) => h.memory.id === linked.id)?.scores.graph).toBe(hit?.scores.graph);
    });
  });

  describe("sessions and events", () => {
    it("creates, lists and ends sessions; an ended session takes no memories", async () => {
      const s = await client.session.create({ namespace: "runs", metadata: { ticket: "T-1" } });
      await client.memory.add({ namespace: "runs", content: "step one", sessionId: s.id });
      expect((await client.session.get({ namespace: "runs", id: s.id })).memoryCount).toBe(1);
      expect(
        (await client.session.list({ namespace: "runs", status: "active" })).items.map((x) => x.id),
      ).toEqual([s.id]);
      const ended = await client.session.end({ namespace: "runs", id: s.id });
      expect(ended.endedAt).not.toBeNull();
      const late = await failure(client.memory.add({ namespace: "runs", content: "late", sessionId: s.id }));
      expect(late).toBeInstanceOf(ConflictError);
      expect(late.code).toBe("SESSION_ENDED");
      expect((await failure(client.session.get({ namespace: "runs", id: "nope" }))).code).toBe(
        "SESSION_NOT_FOUND",
      );
      const hits = await client.memory.search({ namespace: "runs", query: "step", sessionId: s.id });
      expect(hits).toHaveLength(1);
    });

    it("delivers events in order and replays from since", async () => {
      await client.namespace.create({ name: "feed" });
      const got: LociEvent[] = [];
      const sub = await client.events.subscribe({ namespace: "feed" }, (e) => {
        got.push(e);
      });
      const a = await client.memory.add({ namespace: "feed", content: "first", agentId: "a1" });
      await client.memory.add({ namespace: "feed", content: "second" });
      await waitFor(() => got.length >= 2);
      sub.unsubscribe();
      expect(got.map((e) => [e.type, e.namespace])).toEqual([
        ["memory.added", "feed"],
        ["memory.added", "feed"],
      ]);
      expect(got[0]).toMatchObject({ id: a.id, data: { agentId: "a1" } });
      const replay: LociEvent[] = [];
      const again = await client.events.subscribe({ namespace: "feed", since: got[0]!.seq }, (e) => {
        replay.push(e);
      });
      await waitFor(() => replay.length >= 1);
      again.unsubscribe();
      expect(replay.map((e) => e.seq)).toEqual([got[1]!.seq]);
      // The same events as an async iterator, from the start of the log.
      const seen: string[] = [];
      for await (const e of client.events.stream({ namespace: "feed", since: 0 })) {
        seen.push(e.type);
        if (seen.length === 2) break;
      }
      expect(seen).toEqual(["memory.added", "memory.added"]);
    });
  });
}
