/**
 * The engine on PostgreSQL: the same client suite as the embedded SQLite default, run (1) against one
 * engine on a PostgresDriver and (2) against two engines sharing one schema — every call of the suite
 * goes to the next engine in turn, so a write through one must be read, searched, traversed and
 * delivered as an event by the other. Runs against `LOCI_TEST_PG_URL` when set, otherwise against
 * PGlite (with pgvector and pg_textsearch) served on 127.0.0.1.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Clock, HashEmbedder, Loci, ManualClock, type MemoryClient, PostgresDriver } from "@loci/engine";
import { describe, expect, it, vi } from "vitest";
import { runClientSuite } from "./client-conformance.case.js";
import { usePostgres } from "./pg-harness.js";

const db = usePostgres();
let counter = 0;

const freshSchema = () => `loci_e2e_${process.pid}_${++counter}`;

/** Opens `n` engines (each with its own data directory, as separate processes would) on one schema. */
async function openEngines(n: number, opts: { clock?: Clock } = {}) {
  const schema = freshSchema();
  const dirs: string[] = [];
  const engines: Loci[] = [];
  for (let i = 0; i < n; i++) {
    const dataDir = mkdtempSync(join(tmpdir(), "loci-pg-e2e-"));
    dirs.push(dataDir);
    engines.push(
      await Loci.open({
        dataDir,
        embedder: new HashEmbedder({ dimensions: 256 }),
        storage: new PostgresDriver({ connectionString: db.url, schema, maxConnections: 3 }),
        sweepIntervalMs: 0,
        ...(opts.clock ? { clock: opts.clock } : {}),
      }),
    );
  }
  return {
    engines,
    schema,
    async cleanup() {
      for (const e of engines) await e.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
      await db.dropSchema(schema);
    },
  };
}

/** A client whose every call goes to the next engine in turn (round robin). */
function roundRobin(engines: readonly MemoryClient[]): MemoryClient {
  let next = 0;
  const section = (name: keyof MemoryClient) =>
    new Proxy(
      {},
      {
        get:
          (_t, method: string) =>
          (...args: unknown[]) => {
            const target = engines[next++ % engines.length]![name] as unknown as Record<
              string,
              (...a: unknown[]) => unknown
            >;
            return target[method]!.apply(target, args);
          },
      },
    );
  return {
    namespace: section("namespace"),
    memory: section("memory"),
    session: section("session"),
    events: section("events"),
    knowledgeGraph: section("knowledgeGraph"),
  } as MemoryClient;
}

describe("engine on PostgreSQL", () => {
  runClientSuite({
    setup: async () => {
      const env = await openEngines(1);
      return { client: env.engines[0]!, cleanup: env.cleanup };
    },
  });
});

describe("two engines sharing one PostgreSQL schema (calls alternate between them)", () => {
  runClientSuite({
    setup: async () => {
      const env = await openEngines(2);
      return { client: roundRobin(env.engines), cleanup: env.cleanup };
    },
  });

  it("sees the other engine's writes, deletes, configuration and graph at once, and its events live", async () => {
    const { engines, cleanup } = await openEngines(2);
    const [a, b] = engines as [Loci, Loci];
    try {
      await a.namespace.create({ name: "team" });
      const seen: string[] = [];
      const sub = await b.events.subscribe({ namespace: "team" }, (e) => {
        seen.push(`${e.type}:${e.id}`);
      });
      const m = await a.memory.add({ namespace: "team", content: "Acme renews in Q2", metadata: { k: 1 } });
      // Read-your-writes across engines: no waiting for a notification.
      expect((await b.memory.get({ namespace: "team", id: m.id })).content).toBe("Acme renews in Q2");
      expect((await b.memory.search({ namespace: "team", query: "Acme renewal" }))[0]?.memory.id).toBe(m.id);
      await b.memory.update({ namespace: "team", id: m.id, content: "Acme renews in Q3" });
      expect((await a.memory.get({ namespace: "team", id: m.id })).content).toBe("Acme renews in Q3");

      await a.namespace.configure({
        namespace: "team",
        decayStrategy: "exponential",
        decayHalfLifeHours: 12,
      });
      expect((await b.namespace.get({ namespace: "team" })).config.decayStrategy).toBe("exponential");
      const hit = (await b.memory.search({ namespace: "team", query: "Acme" }))[0]!;
      expect(hit.scores.retention).toBeGreaterThan(0);

      await a.knowledgeGraph.addEdge({
        namespace: "team",
        source: { type: "person", name: "Alice Chen" },
        target: { type: "company", name: "Acme Corp" },
        edgeType: "works_at",
      });
      // b loaded its graph before the edge existed? Load it first, then add another edge through a.
      expect(
        (
          await b.knowledgeGraph.neighbors({
            namespace: "team",
            entity: { type: "person", name: "Alice Chen" },
          })
        ).length,
      ).toBe(1);
      await a.knowledgeGraph.addEdge({
        namespace: "team",
        source: { type: "company", name: "Acme Corp" },
        target: { type: "deal", name: "Enterprise Plan Q2" },
        edgeType: "relates_to",
      });
      const walk = await b.knowledgeGraph.traverse({
        namespace: "team",
        start: { type: "person", name: "Alice Chen" },
        maxDepth: 2,
      });
      expect(walk.nodes.map((n) => n.name)).toContain("Enterprise Plan Q2");

      await a.memory.delete({ namespace: "team", id: m.id });
      await expect(b.memory.get({ namespace: "team", id: m.id })).rejects.toMatchObject({
        code: "MEMORY_NOT_FOUND",
      });
      expect(await b.memory.search({ namespace: "team", query: "Acme" })).toHaveLength(0);

      // b's subscriber saw a's writes (delivered on the driver's notification), in log order.
      const end = Date.now() + 5_000;
      while (!seen.some((s) => s.startsWith("memory.deleted")) && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(seen[0]).toBe(`memory.added:${m.id}`);
      expect(seen).toContain(`memory.updated:${m.id}`);
      expect(seen).toContain(`edge.added:${"person:alice chen"} -works_at-> company:acme corp`);
      expect(seen[seen.length - 1]).toBe(`memory.deleted:${m.id}`);
      sub.unsubscribe();

      // A namespace deleted by one engine is gone for the other, and can be re-created there.
      await a.namespace.delete({ namespace: "team" });
      await expect(b.memory.search({ namespace: "team", query: "x" })).rejects.toMatchObject({
        code: "NAMESPACE_NOT_FOUND",
      });
      await b.memory.add({ namespace: "team", content: "fresh start" });
      expect((await a.memory.list({ namespace: "team" })).items.map((x) => x.content)).toEqual([
        "fresh start",
      ]);
    } finally {
      await cleanup();
    }
  });

  it("decays, evicts to maxMemories and expires as on SQLite, with both engines agreeing", async () => {
    const clock = new ManualClock();
    const { engines, cleanup } = await openEngines(2, { clock });
    const [a, b] = engines as [Loci, Loci];
    try {
      await a.namespace.create({
        name: "scratch",
        config: {
          decayStrategy: "exponential",
          decayHalfLifeHours: 24,
          maxMemories: 3,
          reinforceOnAccess: false,
        },
      });
      const evicted: string[] = [];
      const sub = await b.events.subscribe({ namespace: "scratch", types: ["memory.evicted"] }, (e) => {
        evicted.push(e.id);
      });
      const weakest = await a.memory.add({ namespace: "scratch", content: "note zero", importance: 0 });
      clock.advance({ hours: 1 });
      for (let i = 1; i <= 3; i++) {
        await (i % 2 ? b : a).memory.add({ namespace: "scratch", content: `note ${i}`, importance: 0.5 });
      }
      // The fourth write overflowed maxMemories 3: the lowest retention (importance 0) was evicted.
      for (const e of [a, b]) {
        const items = (await e.memory.list({ namespace: "scratch" })).items;
        expect(items.map((m) => m.content).sort()).toEqual(["note 1", "note 2", "note 3"]);
      }
      const end = Date.now() + 5_000;
      while (!evicted.includes(weakest.id) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(evicted).toEqual([weakest.id]);
      sub.unsubscribe();

      clock.advance({ hours: 24 });
      const hits = await b.memory.search({ namespace: "scratch", query: "note", mode: "keyword" });
      for (const h of hits) expect(h.scores.retention).toBeCloseTo(0.5, 10); // 24 h at a 24 h half-life

      await b.namespace.create({ name: "tmp" });
      const ephemeral = await b.memory.add({
        namespace: "tmp",
        content: "expires in a minute",
        expiresAt: new Date(clock.now() + 60_000).toISOString(),
      });
      expect((await a.memory.get({ namespace: "tmp", id: ephemeral.id })).id).toBe(ephemeral.id);
      clock.advance({ minutes: 2 });
      await expect(a.memory.get({ namespace: "tmp", id: ephemeral.id })).rejects.toMatchObject({
        code: "MEMORY_NOT_FOUND",
      });
      expect(await a.sweepExpired()).toBe(1);
      expect(await b.sweepExpired()).toBe(0); // already purged by the other engine
      expect((await b.memory.list({ namespace: "tmp" })).items).toEqual([]);
    } finally {
      await cleanup();
    }
  });

  it("shares a namespace's graph parameters: a change by either engine rebuilds both engines' graphs", async () => {
    const { engines, cleanup } = await openEngines(2);
    const [a, b] = engines as [Loci, Loci];
    try {
      await a.namespace.create({ name: "dense", config: { vectorIndex: { m: 24 } } });
      await b.namespace.configure({ namespace: "dense", vectorIndex: { efConstruction: 150 } });
      await a.memory.add({ namespace: "dense", content: "the deploy failed twice" });
      await b.memory.search({ namespace: "dense", query: "deploy", mode: "vector" });
      // Both engines hold a graph now; b changes its degree, and a follows.
      await b.namespace.configure({ namespace: "dense", vectorIndex: { m: 32, efSearch: 200 } });
      await a.memory.add({ namespace: "dense", content: "the invoice was paid late" });
      await Promise.all([a.whenIndexed({ namespace: "dense" }), b.whenIndexed({ namespace: "dense" })]);
      expect(await a.graphRebuildBacklog()).toBe(0);
      expect(await b.graphRebuildBacklog()).toBe(0);
      expect((await a.namespace.get({ namespace: "dense" })).config.vectorIndex).toEqual({
        m: 32,
        efConstruction: 150,
        efSearch: 200,
      });
      for (const engine of [a, b]) {
        const hits = await engine.memory.search({
          namespace: "dense",
          query: "invoice paid",
          mode: "vector",
        });
        expect(hits.map((h) => h.memory.content)).toEqual([
          "the invoice was paid late",
          "the deploy failed twice",
        ]);
      }
    } finally {
      await cleanup();
    }
  });

  it("backfills sentence vectors once the option is turned on, and both engines score with them", async () => {
    const { engines, cleanup } = await openEngines(2);
    const [a, b] = engines as [Loci, Loci];
    const contents = [
      "Kim: The offsite agenda is done. Flights are booked. I ordered the espresso grinder.",
      "Kim: the espresso machine is loud",
      "Ana: Billing moved to the new provider. Invoices go out on the first.",
    ];
    try {
      await a.namespace.create({ name: "fresh", config: { sentenceVectors: true } });
      await b.namespace.create({ name: "later" });
      for (const namespace of ["fresh", "later"]) {
        await a.memory.addMany({ namespace, memories: contents.map((content) => ({ content })) });
      }
      const scores = async (e: Loci, namespace: string) =>
        (await e.memory.search({ namespace, query: "which grinder did Kim order", mode: "vector" })).map(
          (h) => `${h.memory.content} ${h.scores.vector.toFixed(6)}`,
        );
      const want = await scores(b, "fresh");
      expect(await scores(b, "later")).not.toEqual(want);
      await b.namespace.configure({ namespace: "later", sentenceVectors: true });
      await b.whenIndexed({ namespace: "later" });
      expect(await scores(b, "later")).toEqual(want);
      expect(await scores(a, "later")).toEqual(want);
    } finally {
      await cleanup();
    }
  });

  it("leaves a page leased by another engine alone until the lease ends, then takes over", async () => {
    const { engines, schema, cleanup } = await openEngines(1);
    const [a] = engines as [Loci];
    const driver = new PostgresDriver({ connectionString: db.url, schema, maxConnections: 1 });
    try {
      await a.namespace.create({ name: "ns" });
      await a.memory.addMany({
        namespace: "ns",
        memories: ["Kim: One. Two.", "Ana: Three. Four.", "Raj: five"].map((content) => ({ content })),
      });
      const store = await driver.openNamespace("ns");
      const seqs = (await store.scan({ limit: 10 })).map((r) => r.seq);
      // What a second engine working on the backfill leaves: its lease, live for 1.5 s more.
      const lease = { holder: "another-engine", until: Date.now() + 1_500 };
      await store.setSentenceBackfill({ after: 0, through: seqs[2]!, lease });
      const record = await driver.getNamespace("ns");
      await driver.updateNamespace({ ...record!, config: { ...record!.config, sentenceVectors: true } });
      // Changed "elsewhere": the engine catches up with the configuration and starts the backfill.
      await a.memory.list({ namespace: "ns" });
      await a.whenIndexed({ namespace: "ns" });
      expect((await store.getSentenceEmbeddings(seqs)).size).toBe(0);
      expect(await a.sentenceBackfillBacklog()).toBe(3);
      // Once the lease has ended (plus a second), this engine does the work.
      await vi.waitFor(async () => expect((await store.getSentenceEmbeddings(seqs)).size).toBe(2), {
        timeout: 10_000,
        interval: 200,
      });
      await vi.waitFor(async () => expect(await store.sentenceBackfill()).toBeNull(), { timeout: 5_000 });
    } finally {
      await driver.close();
      await cleanup();
    }
  });
});
