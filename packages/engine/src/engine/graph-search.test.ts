import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";
import type { SearchResult } from "../types.js";

let env: TempEngine;
const clock = new ManualClock(Date.parse("2025-01-01T00:00:00Z"));
beforeEach(async () => {
  env = await openTempEngine({ clock });
});
afterEach(async () => env.cleanup());

const ns = "crm";
const alice = { type: "person", name: "Alice Chen" };
const acme = { type: "company", name: "Acme Corp" };
const plan = { type: "product", name: "Enterprise Plan Q2" };
const query = "What is Alice Chen evaluating for pricing next quarter?";

/** Distractors share words with the query (a few strongly, most weakly); the target shares none. */
const DISTRACTORS = [
  "Alice Chen is evaluating pricing for next quarter",
  "Alice Chen evaluating new pricing next quarter at the offsite",
  "Next quarter Alice Chen keeps evaluating pricing options",
  "Alice brought homemade cookies to the Friday team meeting",
  "Dr. Chen moved to the Boston office after the winter holidays",
  "We are evaluating three espresso machines for the kitchen upstairs",
  "The pricing page got a fresh design with darker colors and larger fonts",
  "The next company offsite takes place in Lisbon during early autumn",
  "The quarter ended with a long team dinner at the harbour restaurant",
  "Alice plays the cello in a community orchestra on weekends",
  "Chen wrote the onboarding guide for interns joining the support desk",
  "Evaluating vendors for office furniture takes forever every single year",
];
const TARGET = "Quote sent: forty seats, annual billing, single sign-on add-on";

async function seed() {
  const kg = env.loci.knowledgeGraph;
  await kg.addEdge({ namespace: ns, source: alice, target: acme, edgeType: "works_at" });
  await kg.addEdge({ namespace: ns, source: acme, target: plan, edgeType: "considering" });
  await env.loci.memory.addMany({ namespace: ns, memories: DISTRACTORS.map((content) => ({ content })) });
  return env.loci.memory.add({ namespace: ns, content: TARGET, entities: [plan] });
}

const rank = (hits: SearchResult[], id: string) => hits.findIndex((h) => h.memory.id === id);

describe("graph-aware recall", () => {
  it("finds a memory that neither BM25 nor vectors rank in the top 5, through the entity chain", async () => {
    const target = await seed();
    for (const mode of ["keyword", "vector", "hybrid"] as const) {
      const plain = await env.loci.memory.search({ namespace: ns, query, mode, limit: 5 });
      expect(plain).toHaveLength(5);
      expect(rank(plain, target.id), `${mode} without graph`).toBe(-1);
      expect(plain.every((h) => h.scores.graph === 0)).toBe(true);
      const oneHop = await env.loci.memory.search({
        namespace: ns,
        query,
        mode,
        limit: 5,
        graph: { depth: 1 },
      });
      expect(rank(oneHop, target.id), `${mode} depth 1`).toBe(-1);
      const hits = await env.loci.memory.search({
        namespace: ns,
        query,
        mode,
        limit: 5,
        graph: { depth: 2 },
      });
      const at = rank(hits, target.id);
      expect(at, `${mode} with graph depth 2`).toBeGreaterThanOrEqual(0);
      const hit = hits[at]!;
      expect(hit.scores.keyword).toBe(0);
      expect(hit.scores.graph).toBeCloseTo(1 / 3, 12); // Enterprise Plan Q2 is 2 hops from Alice Chen
      expect(hit.scores.relevance).toBeCloseTo(
        0.5 * (mode === "keyword" ? 0 : hit.scores.vector * (mode === "hybrid" ? 0.5 : 1)) + 0.5 / 3,
        12,
      );
      expect(hit.memory.entities).toEqual([plan]);
    }
  });

  it("scores 1/(1 + hops) from the entities named in the query, whole words, any case", async () => {
    await seed();
    const [onAlice, onAcme] = await env.loci.memory.addMany({
      namespace: ns,
      memories: [
        { content: "prefers email over calls", entities: [alice] },
        { content: "fiscal year starts in April", entities: [acme, { type: "place", name: "Berlin" }] },
      ],
    });
    const hits = await env.loci.memory.search({
      namespace: ns,
      query: "ALICE chen",
      graph: { depth: 4, weight: 1 },
    });
    const graphOf = (id: string) => hits.find((h) => h.memory.id === id)?.scores.graph;
    expect(graphOf(onAlice!.id)).toBe(1);
    expect(graphOf(onAcme!.id)).toBe(0.5);
    expect(hits[0]!.memory.id).toBe(onAlice!.id);
    expect(hits[0]!.scores.relevance).toBe(1);
    // "Acme Corporation" does not name "Acme Corp"; "Chen" alone names nobody.
    for (const q of ["Acme Corporation news", "Chen"]) {
      const h = await env.loci.memory.search({ namespace: ns, query: q, graph: { depth: 2 } });
      expect(h.every((x) => x.scores.graph === 0)).toBe(true);
    }
  });

  it("leaves scores exactly as before without `graph`, and blends with weight", async () => {
    await seed();
    const plain = await env.loci.memory.search({ namespace: ns, query, limit: 20 });
    for (const h of plain) {
      expect(h.scores.graph).toBe(0);
      expect(h.scores.relevance).toBe(0.5 * h.scores.vector + 0.5 * h.scores.keyword);
    }
    const zero = await env.loci.memory.search({
      namespace: ns,
      query,
      limit: 20,
      graph: { depth: 2, weight: 0 },
    });
    for (const h of plain) expect(zero.find((z) => z.memory.id === h.memory.id)!.score).toBe(h.score);
    const blended = await env.loci.memory.search({
      namespace: ns,
      query,
      limit: 20,
      graph: { weight: 0.25 },
    });
    for (const h of blended) {
      const base = 0.5 * h.scores.vector + 0.5 * h.scores.keyword;
      expect(h.scores.relevance).toBeCloseTo(0.75 * base + 0.25 * h.scores.graph, 12);
    }
  });

  it("applies metadata, session and expiry filters to graph candidates like to any other", async () => {
    await env.loci.knowledgeGraph.addEdge({
      namespace: ns,
      source: alice,
      target: acme,
      edgeType: "works_at",
    });
    await env.loci.session.create({ namespace: ns, id: "run-1" });
    const [open, secret, other, expiring] = await env.loci.memory.addMany({
      namespace: ns,
      memories: [
        { content: "renewal in May", entities: [acme], metadata: { team: "sales" }, sessionId: "run-1" },
        {
          content: "legal hold on the account",
          entities: [acme],
          metadata: { team: "legal" },
          sessionId: "run-1",
        },
        { content: "booth at the trade fair", entities: [acme], metadata: { team: "sales" } },
        {
          content: "discount ends soon",
          entities: [acme],
          metadata: { team: "sales" },
          expiresAt: clock.now() + 1_000,
        },
      ],
    });
    const ids = async (extra: object) =>
      (await env.loci.memory.search({ namespace: ns, query: "Alice Chen", graph: {}, ...extra }))
        .filter((h) => h.scores.graph > 0)
        .map((h) => h.memory.id)
        .sort();
    expect(await ids({})).toEqual([open!.id, secret!.id, other!.id, expiring!.id].sort());
    expect(await ids({ metadataFilter: { team: "sales" } })).toEqual(
      [open!.id, other!.id, expiring!.id].sort(),
    );
    expect(await ids({ sessionId: "run-1" })).toEqual([open!.id, secret!.id].sort());
    clock.advance(2_000);
    expect(await ids({ metadataFilter: { team: "sales" } })).toEqual([open!.id, other!.id].sort());
    await env.loci.memory.delete({ namespace: ns, id: other!.id });
    expect(await ids({ metadataFilter: { team: "sales" } })).toEqual([open!.id]);
  });

  it("with expand: false only re-ranks the candidates the other sides found", async () => {
    const target = await seed();
    // The target shares no word with the query: only the graph makes it a keyword-mode candidate.
    const opts = { namespace: ns, query, mode: "keyword" as const, limit: 5 };
    expect(
      rank(await env.loci.memory.search({ ...opts, graph: { depth: 2 } }), target.id),
    ).toBeGreaterThanOrEqual(0);
    expect(
      rank(await env.loci.memory.search({ ...opts, graph: { depth: 2, expand: false } }), target.id),
    ).toBe(-1);
    for (const mode of ["keyword", "vector", "hybrid"] as const) {
      const all = { namespace: ns, query, mode, limit: 13 };
      const plain = await env.loci.memory.search(all);
      const reranked = await env.loci.memory.search({ ...all, graph: { depth: 2, expand: false } });
      expect(reranked.map((h) => h.memory.id).sort(), mode).toEqual(plain.map((h) => h.memory.id).sort());
      for (const h of reranked) {
        const before = plain.find((p) => p.memory.id === h.memory.id)!;
        expect(h.scores.relevance).toBeCloseTo(0.5 * before.scores.relevance + 0.5 * h.scores.graph, 12);
      }
      if (mode !== "keyword")
        expect(reranked.find((h) => h.memory.id === target.id)!.scores.graph).toBeCloseTo(1 / 3, 12);
    }
  });

  it("validates the graph option", async () => {
    await seed();
    for (const graph of [{ depth: 5 }, { depth: -1 }, { depth: 1.5 }, { weight: 2 }, { expand: 1 }, "deep"]) {
      await expect(
        env.loci.memory.search({ namespace: ns, query, graph: graph as never }),
      ).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
      });
    }
  });
});

describe("memories linked to entities", () => {
  it("links on add and addMany (creating entities, atomically), and exposes `entities` everywhere", async () => {
    const m = await env.loci.memory.add({
      namespace: ns,
      content: "kickoff call",
      entities: [alice, { type: "person", name: " alice  CHEN " }, acme],
    });
    expect(m.entities).toEqual([acme, alice]);
    const plain = await env.loci.memory.add({ namespace: ns, content: "no links" });
    expect(plain.entities).toEqual([]);
    expect((await env.loci.memory.get({ namespace: ns, id: m.id })).entities).toEqual([acme, alice]);
    expect((await env.loci.memory.list({ namespace: ns })).items.map((i) => i.entities.length)).toEqual([
      2, 0,
    ]);
    const updated = await env.loci.memory.update({
      namespace: ns,
      id: m.id,
      content: "kickoff call, rescheduled",
    });
    expect(updated.entities).toEqual([acme, alice]);
    const kg = await env.loci.knowledgeGraph.getEntity({ namespace: ns, entity: alice });
    expect(kg.name).toBe("Alice Chen");

    await expect(
      env.loci.memory.addMany({
        namespace: ns,
        memories: [
          { content: "fine", entities: [{ type: "person", name: "Carol" }] },
          { content: "bad", entities: [{ type: "Person", name: "Dan" }] },
        ],
      }),
    ).rejects.toMatchObject({ code: "INVALID_ARGUMENT", details: { field: "memories[1].entities[0].type" } });
    await expect(
      env.loci.memory.add({
        namespace: ns,
        content: "x",
        id: m.id,
        entities: [{ type: "person", name: "Erin" }],
      }),
    ).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
    await expect(
      env.loci.knowledgeGraph.getEntity({ namespace: ns, entity: { type: "person", name: "Erin" } }),
    ).rejects.toMatchObject({
      code: "ENTITY_NOT_FOUND",
    });
    await expect(
      env.loci.memory.add({
        namespace: ns,
        content: "x",
        entities: Array.from({ length: 65 }, (_, i) => ({ type: "t", name: `n${i}` })),
      }),
    ).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });
});
