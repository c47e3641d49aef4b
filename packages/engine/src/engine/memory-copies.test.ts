import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";
import type { Memory } from "../types.js";

let env: TempEngine;
beforeEach(async () => {
  env = await openTempEngine();
});
afterEach(async () => env.cleanup());

/** What the filters of list and search see as matching `{ tier }`. */
async function matching(tier: string): Promise<{ listed: number; found: number }> {
  const filter = { tier };
  const page = await env.loci.memory.list({ namespace: "n", filter });
  const hits = await env.loci.memory.search({ namespace: "n", query: "alpha", metadataFilter: filter });
  return { listed: page.items.length, found: hits.length };
}

/** Mutates a returned memory the way caller code might (it is the caller's own object). */
function scribble(m: Memory, tier: string): void {
  (m.metadata as Record<string, unknown>).tier = tier;
  (m.metadata as Record<string, unknown>).extra = true;
}

describe("returned memories are the caller's own copies", () => {
  it("mutating what add and addMany returned changes neither stored metadata nor filters", async () => {
    const one = await env.loci.memory.add({
      namespace: "n",
      content: "alpha one",
      metadata: { tier: "free" },
    });
    const [two] = await env.loci.memory.addMany({
      namespace: "n",
      memories: [{ content: "alpha two", metadata: { tier: "free" } }],
    });
    scribble(one, "gold");
    scribble(two!, "gold");
    expect(await matching("gold")).toEqual({ listed: 0, found: 0 });
    expect(await matching("free")).toEqual({ listed: 2, found: 2 });
    const stored = await env.loci.memory.get({ namespace: "n", id: one.id });
    expect(stored.metadata).toStrictEqual({ tier: "free" });
  });

  it("mutating what update returned changes neither stored metadata nor filters", async () => {
    const m = await env.loci.memory.add({ namespace: "n", content: "alpha one", metadata: { tier: "free" } });
    const updated = await env.loci.memory.update({ namespace: "n", id: m.id, metadata: { tier: "pro" } });
    scribble(updated, "gold");
    const renamed = await env.loci.memory.update({ namespace: "n", id: m.id, content: "alpha renamed" });
    scribble(renamed, "gold");
    expect(await matching("gold")).toEqual({ listed: 0, found: 0 });
    expect(await matching("pro")).toEqual({ listed: 1, found: 1 });
  });
});
