import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";
import type { SearchOptions } from "../types.js";
import { EXACT_SEARCH_THRESHOLD } from "./ranking.js";

let env: TempEngine;
afterEach(async () => env?.cleanup());

const ids = async (opts: SearchOptions) => (await env.loci.memory.search(opts)).map((h) => h.memory.id);

/**
 * Searches with a filter used for the first time (not cached) and then again (answered from the
 * filter's cached matches, filter-cache.ts): both must give the same hits.
 */
async function firstAndRepeated(opts: SearchOptions) {
  const first = await ids(opts);
  const repeated = await ids(opts);
  return { first, repeated };
}

describe("a repeated metadata filter (cached matches)", () => {
  it("gives the same hits as its first use, on the ANN path and on the exact path", async () => {
    env = await openTempEngine();
    const n = EXACT_SEARCH_THRESHOLD + 600;
    for (let i = 0; i < n; i += 1000) {
      await env.loci.memory.addMany({
        namespace: "t",
        memories: Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({
          content: `refund request ${i + j} for order ${(i + j) % 97}`,
          metadata: { tier: (i + j) % 2 === 0 ? "gold" : "free", rare: (i + j) % 500 === 0 },
        })),
      });
    }
    for (const mode of ["hybrid", "vector", "keyword"] as const) {
      for (const metadataFilter of [{ tier: "gold" }, { rare: true }]) {
        const query = "refund request for order 42";
        const { first, repeated } = await firstAndRepeated({ namespace: "t", query, mode, metadataFilter });
        expect(repeated).toEqual(first);
        expect(first.length).toBe(metadataFilter.rare ? 6 : 10); // six "rare" memories in all
      }
    }
  });

  it("follows writes: updated metadata, deletes and new memories change its matches", async () => {
    env = await openTempEngine();
    const filter = { team: "billing" };
    const added = await env.loci.memory.addMany({
      namespace: "t",
      memories: Array.from({ length: 40 }, (_, i) => ({
        content: `invoice question number ${i}`,
        metadata: { team: i < 20 ? "billing" : "support" },
      })),
    });
    const search = () =>
      ids({ namespace: "t", query: "invoice question", limit: 50, metadataFilter: filter });
    await search();
    expect((await search()).sort()).toEqual(
      added
        .slice(0, 20)
        .map((m) => m.id)
        .sort(),
    );

    await env.loci.memory.update({ namespace: "t", id: added[30]!.id, metadata: { team: "billing" } });
    await env.loci.memory.update({ namespace: "t", id: added[0]!.id, metadata: { team: "support" } });
    await env.loci.memory.delete({ namespace: "t", id: added[1]!.id });
    const late = await env.loci.memory.add({
      namespace: "t",
      content: "invoice question, late",
      metadata: { team: "billing" },
    });
    const want = [...added.slice(2, 20), added[30]!, late].map((m) => m.id).sort();
    expect((await search()).sort()).toEqual(want);
  });

  it("still applies expiry and the session on top of the cached filter", async () => {
    const clock = new ManualClock(Date.parse("2026-06-01T00:00:00Z"));
    env = await openTempEngine({ clock });
    const session = await env.loci.session.create({ namespace: "t" });
    const mk = (content: string, extra: object) => ({ content, metadata: { kind: "note" }, ...extra });
    const [keep, expiring, inSession] = await env.loci.memory.addMany({
      namespace: "t",
      memories: [
        mk("deploy note one", {}),
        mk("deploy note two", { expiresAt: "2026-06-01T01:00:00Z" }),
        mk("deploy note three", { sessionId: session.id }),
      ],
    });
    const opts = { namespace: "t", query: "deploy note", metadataFilter: { kind: "note" } };
    await ids(opts);
    expect((await ids(opts)).sort()).toEqual([keep!.id, expiring!.id, inSession!.id].sort());
    expect(await ids({ ...opts, sessionId: session.id })).toEqual([inSession!.id]);
    clock.advance(2 * 3_600_000);
    expect((await ids(opts)).sort()).toEqual([keep!.id, inSession!.id].sort());
  });
});
