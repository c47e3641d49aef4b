import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HashEmbedder } from "../embed/hash.js";
import { LociError } from "../errors.js";
import { Loci } from "../loci.js";
import { SqliteDriver } from "../storage/sqlite.js";
import { overrideStores } from "../testing/store-proxy.js";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";

let env: TempEngine;
beforeEach(async () => {
  env = await openTempEngine();
});
afterEach(async () => env.cleanup());

const code = (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (e) => (LociError.isInstance(e) ? e.code : String(e)),
  );

describe("namespace API", () => {
  it("creates with defaults, gets, lists with a cursor and deletes", async () => {
    const ns = await env.loci.namespace.create({ name: "team-shared", description: "finalized outputs" });
    expect(ns).toMatchObject({
      name: "team-shared",
      description: "finalized outputs",
      memoryCount: 0,
      config: {
        decayStrategy: "none",
        decayHalfLifeHours: 168,
        maxMemories: null,
        reinforceOnAccess: true,
        embedding: null,
      },
    });
    expect(await code(env.loci.namespace.create({ name: "team-shared" }))).toBe("ALREADY_EXISTS");
    for (const n of ["b", "a", "c"]) await env.loci.namespace.create({ name: n });
    const first = await env.loci.namespace.list({ limit: 2 });
    expect(first.items.map((n) => n.name)).toEqual(["a", "b"]);
    const second = await env.loci.namespace.list({ limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((n) => n.name)).toEqual(["c", "team-shared"]);
    expect(second.nextCursor).toBeNull();
    await env.loci.memory.add({ namespace: "a", content: "gone soon" });
    expect(await env.loci.namespace.delete({ namespace: "a" })).toBe(true);
    expect(await env.loci.namespace.delete({ namespace: "a" })).toBe(false);
    expect(await code(env.loci.namespace.get({ namespace: "a" }))).toBe("NAMESPACE_NOT_FOUND");
    expect(await code(env.loci.memory.list({ namespace: "a" }))).toBe("NAMESPACE_NOT_FOUND");
  });

  it("configures, validates and persists configuration", async () => {
    await env.loci.namespace.create({ name: "scratch", config: { decayStrategy: "exponential" } });
    const ns = await env.loci.namespace.configure({
      namespace: "scratch",
      decayHalfLifeHours: 24,
      maxMemories: 10_000,
      reinforceOnAccess: false,
    });
    expect(ns.config).toMatchObject({
      decayStrategy: "exponential",
      decayHalfLifeHours: 24,
      maxMemories: 10_000,
      reinforceOnAccess: false,
    });
    await env.reopen();
    expect((await env.loci.namespace.get({ namespace: "scratch" })).config.decayHalfLifeHours).toBe(24);
    expect(
      await code(env.loci.namespace.configure({ namespace: "scratch", decayStrategy: "cubic" as never })),
    ).toBe("INVALID_ARGUMENT");
    expect(await code(env.loci.namespace.configure({ namespace: "scratch", decayHalfLifeHours: 0 }))).toBe(
      "INVALID_ARGUMENT",
    );
    expect(await code(env.loci.namespace.configure({ namespace: "scratch", maxMemories: 1.5 }))).toBe(
      "INVALID_ARGUMENT",
    );
    expect(
      await code(env.loci.namespace.configure({ namespace: "scratch", decay_strategy: "none" } as never)),
    ).toBe("INVALID_ARGUMENT");
    expect(await code(env.loci.namespace.create({ name: "bad/name" }))).toBe("INVALID_NAMESPACE");
  });

  it("re-creating a deleted namespace starts empty", async () => {
    await env.loci.memory.add({ namespace: "x", content: "old data" });
    await env.loci.namespace.delete({ namespace: "x" });
    await env.loci.memory.add({ namespace: "x", content: "new data" });
    const hits = await env.loci.memory.search({ namespace: "x", query: "data" });
    expect(hits.map((h) => h.memory.content)).toEqual(["new data"]);
  });
});

describe("deleting a namespace while it is in use", () => {
  it("waits for the operations running on it, and the ones that arrive meanwhile find it gone", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "loci-delete-"));
    let holdReads = false;
    let reached!: () => void;
    const atRead = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const storage = overrideStores(new SqliteDriver({ dir: join(dataDir, "store") }), {
      getBySeq: async (real, seqs, opts) => {
        if (holdReads) {
          holdReads = false;
          reached();
          await held;
        }
        return real.getBySeq(seqs, opts);
      },
    });
    const loci = await Loci.open({ dataDir, storage, embedder: new HashEmbedder({ dimensions: 64 }) });
    try {
      await loci.memory.add({ namespace: "doomed", content: "alpha report" });
      holdReads = true;
      // A search reading its hits' rows when the delete comes.
      const search = loci.memory.search({ namespace: "doomed", query: "alpha" });
      await atRead;
      let deletedYet = false;
      const deleted = loci.namespace.delete({ namespace: "doomed" }).finally(() => {
        deletedYet = true;
      });
      const later = code(loci.memory.search({ namespace: "doomed", query: "alpha" }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(deletedYet).toBe(false);
      release();
      expect((await search).map((h) => h.memory.content)).toEqual(["alpha report"]);
      expect(await deleted).toBe(true);
      expect(await later).toBe("NAMESPACE_NOT_FOUND");
      // Writing again creates a fresh namespace.
      await loci.memory.add({ namespace: "doomed", content: "bravo" });
      expect((await loci.memory.list({ namespace: "doomed" })).items.map((m) => m.content)).toEqual([
        "bravo",
      ]);
    } finally {
      await loci.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("operations racing a delete either complete or find the namespace gone, never fail otherwise", async () => {
    const outcomes = new Map<string, number>();
    for (let round = 0; round < 30; round++) {
      const first = await env.loci.memory.add({ namespace: "racy", content: `alpha ${round}` });
      const ops = [
        () => env.loci.memory.search({ namespace: "racy", query: "alpha" }),
        () => env.loci.memory.get({ namespace: "racy", id: first.id }),
        () => env.loci.memory.list({ namespace: "racy" }),
        () => env.loci.memory.update({ namespace: "racy", id: first.id, content: "bravo" }),
        () => env.loci.namespace.get({ namespace: "racy" }),
      ];
      // The delete lands before, between or after the operations' steps (a few turns apart).
      const running = ops.map(async (op, i) => {
        for (let t = 0; t < (round + i) % 4; t++) await new Promise((resolve) => setImmediate(resolve));
        return code(op());
      });
      const deleted = env.loci.namespace.delete({ namespace: "racy" });
      for (const outcome of await Promise.all(running))
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      expect(await deleted).toBe(true);
    }
    expect([...outcomes.keys()].sort()).toEqual(["NAMESPACE_NOT_FOUND", "ok"]);
  });
});
