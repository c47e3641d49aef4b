import { describe, expect, it } from "vitest";
import { compileFilter } from "../filter/compile.js";
import { FILTER_CACHE_SIZE, FilterCache, FilterMatches, MAX_CACHED_FILTER_CHARS } from "./filter-cache.js";

const docs = (n: number, meta: (seq: number) => Record<string, unknown>) =>
  new Map(Array.from({ length: n }, (_, i) => [i + 1, { metadata: meta(i + 1) }] as const));

describe("FilterMatches", () => {
  it("tracks passing seqs across word boundaries, updates and deletions", () => {
    const m = new FilterMatches(compileFilter({ tier: "gold" }));
    for (const seq of [0, 1, 31, 32, 63, 64, 1000, 70_001]) m.update(seq, { tier: "gold" });
    m.update(5, { tier: "free" });
    expect([...m.seqs()]).toEqual([0, 1, 31, 32, 63, 64, 1000, 70_001]);
    expect(m.count).toBe(8);
    expect(m.has(31) && m.has(70_001) && !m.has(5) && !m.has(2) && !m.has(1_000_000)).toBe(true);
    m.update(31, { tier: "free" }); // metadata changed: no longer passes
    m.update(64, null); // deleted
    m.update(1000, { tier: "gold" }); // rewritten, still passes: counted once
    expect([...m.seqs()]).toEqual([0, 1, 32, 63, 64, 1000, 70_001].filter((s) => s !== 64));
    expect(m.count).toBe(6);
  });
});

describe("FilterCache", () => {
  const gold = compileFilter({ tier: "gold" });

  it("caches a filter the second time it is looked up, built from the live memories", () => {
    const cache = new FilterCache();
    const live = docs(100, (seq) => ({ tier: seq % 3 === 0 ? "gold" : "free" }));
    expect(cache.lookup('{"tier":"gold"}', gold, live)).toBeNull();
    const entry = cache.lookup('{"tier":"gold"}', gold, live);
    expect(entry?.count).toBe(33);
    expect([...entry!.seqs()].every((s) => s % 3 === 0)).toBe(true);
    expect(cache.lookup('{"tier":"gold"}', gold, live)).toBe(entry);
  });

  it("keeps cached filters right as memories are written and deleted", () => {
    const cache = new FilterCache();
    const live = docs(10, () => ({ tier: "free" }));
    cache.lookup("k", gold, live);
    const entry = cache.lookup("k", gold, live)!;
    expect(entry.count).toBe(0);
    cache.update(11, { tier: "gold" });
    cache.update(3, { tier: "gold" });
    expect([...entry.seqs()]).toEqual([3, 11]);
    cache.update(3, null);
    expect([...entry.seqs()]).toEqual([11]);
  });

  it("never caches a filter longer than MAX_CACHED_FILTER_CHARS", () => {
    const cache = new FilterCache();
    const live = docs(4, () => ({ tier: "gold" }));
    const long = "x".repeat(MAX_CACHED_FILTER_CHARS + 1);
    for (let i = 0; i < 3; i++) expect(cache.lookup(long, gold, live)).toBeNull();
    expect(cache.size).toBe(0);
  });

  it(`keeps at most ${FILTER_CACHE_SIZE} filters, dropping the least recently used`, () => {
    const cache = new FilterCache();
    const live = docs(4, () => ({ tier: "gold" }));
    const twice = (key: string) => {
      cache.lookup(key, gold, live);
      return cache.lookup(key, gold, live);
    };
    const first = twice("f0");
    for (let i = 1; i < FILTER_CACHE_SIZE; i++) twice(`f${i}`);
    expect(cache.lookup("f0", gold, live)).toBe(first); // used again: now the most recent
    twice("one-more");
    expect(cache.size).toBe(FILTER_CACHE_SIZE);
    expect(cache.lookup("f0", gold, live)).toBe(first);
    expect(cache.lookup("f1", gold, live)).toBeNull(); // f1 was the least recently used: dropped
  });
});
