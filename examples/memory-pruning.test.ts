import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EvictionLog, example, type MemoryPruningResult } from "./memory-pruning.js";

const HOUR = 3_600_000;

/** The engine README's retention: the curve at Δ hours with the effective half-life h·2^(2·importance − 1). */
function expectedRetention(log: EvictionLog, importance: number, hours: number): number {
  const h = log.decayHalfLifeHours * 2 ** (2 * importance - 1);
  return log.decayStrategy === "exponential" ? 2 ** (-hours / h) : 1 / (1 + Math.log2(1 + hours / h));
}

/**
 * A reference model of `maxMemories` from the README: a write that would exceed the cap evicts the
 * lowest retention (the oldest on ties). Returns the expected evictions in order, and the survivors.
 */
function simulate(log: EvictionLog) {
  const kept: EvictionLog["written"] = [];
  const evicted: { id: string; at: string }[] = [];
  for (const w of log.written) {
    kept.push(w);
    if (kept.length <= log.maxMemories) continue;
    const now = Date.parse(w.createdAt);
    const score = (m: (typeof kept)[number]) =>
      expectedRetention(log, m.importance, (now - Date.parse(m.createdAt)) / HOUR);
    let victim = 0;
    for (let i = 1; i < kept.length; i++) {
      if (score(kept[i]!) < score(kept[victim]!)) victim = i; // strict: the older one wins ties
    }
    evicted.push({ id: kept[victim]!.id, at: w.createdAt });
    kept.splice(victim, 1);
  }
  return { evicted, survivors: kept.map((m) => m.id) };
}

describe("memory-pruning example", () => {
  // One simulated month (about 3 s), shared by the assertions below.
  const lines: string[] = [];
  let dataDir: string | undefined;
  let result: MemoryPruningResult;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "loci-ex-pruning-"));
    result = await example.run({ dataDir, log: (l) => lines.push(l) });
  });
  afterAll(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("decays day by day exactly as the README's formulas say", () => {
    expect(result.decay.map((r) => r.day)).toEqual(Array.from({ length: 31 }, (_, d) => d));
    for (const { day, scratchNote, scratchPinned, knowledgeFact } of result.decay) {
      expect(scratchNote).toBeCloseTo(2 ** -day, 12); // exponential, 24 h, importance 0.5
      expect(scratchPinned).toBeCloseTo(2 ** (-day / 2), 12); // importance 1: effective half-life 48 h
      expect(knowledgeFact).toBeCloseTo(1 / (1 + Math.log2(1 + (24 * day) / 720)), 12); // logarithmic, 720 h
    }
    // The README's table for the seed configurations: 1 d / 7 d / 30 d.
    const at = (d: number) => result.decay[d]!;
    expect([1, 7, 30].map((d) => at(d).scratchNote.toFixed(3))).toEqual(["0.500", "0.008", "0.000"]);
    expect([1, 7, 30].map((d) => at(d).knowledgeFact.toFixed(3))).toEqual(["0.955", "0.768", "0.500"]);
  });

  it("evicts the lowest retention first, each memory exactly once, down to maxMemories", () => {
    for (const log of [result.scratch, result.knowledge]) {
      const expected = simulate(log);
      expect(log.evicted).toHaveLength(log.written.length - log.maxMemories);
      expect(new Set(log.evicted.map((e) => e.id)).size).toBe(log.evicted.length);
      expect(log.evicted).toEqual(expected.evicted);
      expect([...log.survivors].sort()).toEqual([...expected.survivors].sort());
    }
    const { scratch, knowledge } = result;
    expect(scratch.maxMemories).toBe(10);
    expect(knowledge.maxMemories).toBe(20);
    // Scratch keeps only the 10 newest notes; the pinned note outlived day 0's routine notes.
    expect(scratch.written).toHaveLength(94);
    expect([...scratch.survivors].sort()).toEqual(
      scratch.written
        .slice(-10)
        .map((w) => w.id)
        .sort(),
    );
    const outAt = (label: string) => {
      const id = scratch.written.find((w) => w.label === label)!.id;
      return Date.parse(scratch.evicted.find((e) => e.id === id)!.at);
    };
    const pinnedOut = outAt("pinned note");
    for (const hour of ["09", "13", "17"]) expect(pinnedOut).toBeGreaterThan(outAt(`day 0 ${hour}:00 note`));
    // Knowledge evicts only minor facts, oldest first; every key fact survives.
    const byId = new Map(knowledge.written.map((w) => [w.id, w]));
    const evictedFacts = knowledge.evicted.map((e) => byId.get(e.id)!);
    expect(evictedFacts.every((w) => w.importance === 0.3)).toBe(true);
    const minors = knowledge.written.filter((w) => w.importance === 0.3);
    expect(evictedFacts.map((w) => w.id)).toEqual(minors.slice(0, 11).map((w) => w.id));
    const keys = knowledge.written.filter((w) => w.importance === 0.9).map((w) => w.id);
    for (const id of keys) expect(knowledge.survivors).toContain(id);
  });

  it("narrates the scaled-down numbers and the evictions", () => {
    const text = lines.join("\n");
    expect(text).toContain("SCALED DOWN");
    expect(text).toContain("maxMemories 10 (not 10,000) and 20 (not 500,000)");
    expect(text).toMatch(/^ {5}7 {9}0\.008 {18}0\.088 {11}0\.768$/m);
    expect(text).toContain("scratch-small (max 10): 94 notes written, 84 evicted, 10 kept");
    expect(text).toMatch(
      /day 0's pinned note \(importance 1: twice the half-life\): evicted at day \d+ \d\d:00/,
    );
    expect(text).toContain("knowledge-small (max 20): 31 facts written, 11 evicted:");
    expect(text).toContain("11 of 11 key facts (importance 0.9) survived the month");
  });
});
