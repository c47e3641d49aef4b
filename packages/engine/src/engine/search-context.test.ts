import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";
import { NEIGHBOR_WEIGHT, TIME_WEIGHT } from "./search-options.js";

let env: TempEngine;
afterEach(async () => env?.cleanup());

const DAY = 86_400_000;

/** Two chat sessions: the answer to "where did you go" shares no word with the question asked later. */
async function seedChat() {
  const clock = new ManualClock(Date.parse("2024-01-02T10:00:00Z"));
  env = await openTempEngine({ clock });
  const ns = "chat";
  await env.loci.session.create({ namespace: ns, id: "s1" });
  await env.loci.session.create({ namespace: ns, id: "s2" });
  const t0 = Date.parse("2024-01-01T18:00:00Z");
  const turn = (sessionId: string, minute: number, content: string, metadata = {}) => ({
    content,
    sessionId,
    createdAt: t0 + minute * 60_000,
    metadata,
  });
  const [question, answer, later, , , otherSession] = await env.loci.memory.addMany({
    namespace: ns,
    memories: [
      turn("s1", 0, "Elise: where did you celebrate the new year?"),
      turn("s1", 1, "Emi: Miami, with my cousins, fireworks at midnight", { topic: "travel" }),
      turn("s1", 2, "Elise: sounds lovely", { topic: "smalltalk" }),
      turn("s1", 3, "Emi: the weather was warm"),
      turn("s1", 4, "Elise: I stayed home and read"),
      turn("s2", 2, "Emi: my cat knocked over a plant"),
    ],
  });
  return { ns, question: question!, answer: answer!, later: later!, otherSession: otherSession! };
}

describe("session context", () => {
  it("scores a turn with its session neighbours, so an answer sharing no word with the query is found", async () => {
    const { ns, answer, otherSession } = await seedChat();
    const query = "where was the new year celebrated";
    const plain = await env.loci.memory.search({ namespace: ns, query, mode: "keyword", limit: 10 });
    expect(plain.map((h) => h.memory.id)).not.toContain(answer.id);
    const hits = await env.loci.memory.search({
      namespace: ns,
      query,
      mode: "keyword",
      neighbors: {},
      limit: 10,
    });
    const hit = hits.find((h) => h.memory.id === answer.id);
    expect(hit).toBeDefined();
    expect(hit!.scores.context).toBeGreaterThan(0);
    for (const h of hits) {
      expect(h.scores.relevance).toBeCloseTo(
        (1 - NEIGHBOR_WEIGHT) * h.scores.keyword + NEIGHBOR_WEIGHT * h.scores.context,
        12,
      );
    }
    // The question's own session only: the other session's turn written at the same time is no neighbour.
    expect(hits.map((h) => h.memory.id)).not.toContain(otherSession.id);
  });

  it("is on by default in hybrid mode and follows the window and weight", async () => {
    const { ns, answer } = await seedChat();
    const query = "where was the new year celebrated";
    const hybrid = await env.loci.memory.search({ namespace: ns, query, limit: 10 });
    expect(hybrid.find((h) => h.memory.id === answer.id)!.scores.context).toBeGreaterThan(0);
    const off = await env.loci.memory.search({ namespace: ns, query, neighbors: false, limit: 10 });
    for (const h of off) {
      expect(h.scores.context).toBe(0);
      expect(h.scores.relevance).toBe(0.5 * h.scores.vector + 0.5 * h.scores.keyword);
    }
    const heavy = await env.loci.memory.search({
      namespace: ns,
      query,
      mode: "keyword",
      neighbors: { window: 1, weight: 1 },
      limit: 10,
    });
    for (const h of heavy) expect(h.scores.relevance).toBeCloseTo(h.scores.context, 12);
    // Window 1 reaches one turn on each side of the question (turn 2), not turn 4.
    expect(heavy.map((h) => h.memory.content)).not.toContain("Elise: I stayed home and read");
  });

  it("never lets a filtered-out neighbour in, nor scores through one", async () => {
    const { ns, question, answer } = await seedChat();
    const query = "where was the new year celebrated";
    const unfiltered = await env.loci.memory.search({ namespace: ns, query, mode: "keyword", neighbors: {} });
    expect(unfiltered.map((h) => h.memory.id)).toEqual(expect.arrayContaining([question.id, answer.id]));
    // The question is filtered out, so the answer has no matching neighbour to draw context from.
    const hits = await env.loci.memory.search({
      namespace: ns,
      query,
      mode: "keyword",
      neighbors: { window: 2 },
      metadataFilter: { topic: { $exists: true } },
    });
    expect(hits).toEqual([]);
  });

  it("orders a session by creation time, not insertion", async () => {
    env = await openTempEngine();
    await env.loci.session.create({ namespace: "late", id: "s" });
    const t = Date.parse("2024-05-01T10:00:00Z");
    const add = (content: string, at: number) =>
      env.loci.memory.add({ namespace: "late", content, sessionId: "s", createdAt: at });
    const answer = await add("Lisbon, by the river", t + 60_000);
    const other = await add("my cat knocked over a plant", t + 120_000);
    await add("where was the offsite held?", t);
    const hits = await env.loci.memory.search({
      namespace: "late",
      query: "offsite held",
      mode: "keyword",
      neighbors: { window: 1 },
    });
    const ids = hits.map((h) => h.memory.id);
    expect(ids).toContain(answer.id);
    expect(ids).not.toContain(other.id);
  });

  it("validates its options", async () => {
    const { ns } = await seedChat();
    for (const neighbors of [{ window: 0 }, { window: 6 }, { weight: 2 }, "near" as never, [] as never]) {
      await expect(env.loci.memory.search({ namespace: ns, query: "x", neighbors })).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
      });
    }
  });
});

describe("time expressions in queries", () => {
  async function seedDays() {
    const clock = new ManualClock(Date.parse("2024-01-10T12:00:00Z"));
    env = await openTempEngine({ clock });
    const at = (d: number) => Date.parse("2024-01-01T09:00:00Z") + d * DAY;
    return env.loci.memory.addMany({
      namespace: "ops",
      memories: [0, 2, 4, 8].map((d) => ({ content: "database outage in region eu-west", createdAt: at(d) })),
    });
  }

  it("boosts memories created at the named time, by relevance · ((1 − τ) + τ·time)", async () => {
    const mems = await seedDays();
    const onThird = mems[1]!;
    const hits = await env.loci.memory.search({
      namespace: "ops",
      query: "database outage on 3 Jan 2024",
      time: {},
    });
    expect(hits[0]!.memory.id).toBe(onThird.id);
    expect(hits[0]!.scores.time).toBe(1);
    const plain = await env.loci.memory.search({
      namespace: "ops",
      query: "database outage on 3 Jan 2024",
      time: false,
    });
    const base = new Map(plain.map((h) => [h.memory.id, h.scores.relevance]));
    for (const h of hits) {
      expect(h.scores.time).toBeLessThanOrEqual(1);
      expect(h.scores.relevance).toBeCloseTo(
        base.get(h.memory.id)! * (1 - TIME_WEIGHT + TIME_WEIGHT * h.scores.time),
        6,
      );
    }
    // Off unless asked: the date is then plain query text.
    const off = await env.loci.memory.search({ namespace: "ops", query: "database outage on 3 Jan 2024" });
    expect(off.every((h) => h.scores.time === 0)).toBe(true);
  });

  it("resolves relative times against referenceTime, and filters in filter mode", async () => {
    const mems = await seedDays();
    const hits = await env.loci.memory.search({
      namespace: "ops",
      query: "database outage yesterday",
      time: { mode: "filter", referenceTime: "2024-01-06T08:00:00Z" },
    });
    expect(hits.map((h) => h.memory.id)).toEqual([mems[2]!.id]);
    const lastWeek = await env.loci.memory.search({
      namespace: "ops",
      query: "outage last week",
      time: { mode: "filter" },
    });
    expect(lastWeek.map((h) => h.memory.id).sort()).toEqual([mems[0]!.id, mems[1]!.id, mems[2]!.id].sort());
  });

  it("validates its options", async () => {
    await seedDays();
    for (const time of [{ mode: "soon" }, { weight: -1 }, { referenceTime: "yesterday" }, 3] as never[]) {
      await expect(env.loci.memory.search({ namespace: "ops", query: "x", time })).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
      });
    }
  });
});
