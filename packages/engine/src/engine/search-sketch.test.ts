import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../clock.js";
import { HashEmbedder } from "../embed/hash.js";
import { saveSketchSnapshot } from "../index/sketch-snapshot.js";
import { VectorSketch } from "../index/vector-sketch.js";
import { Loci } from "../loci.js";
import { SqliteNamespaceStore } from "../storage/sqlite-namespace.js";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";
import type { SearchOptions } from "../types.js";

const envs: TempEngine[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const env of envs.splice(0)) await env.cleanup();
});

const WORDS = [
  "refund",
  "invoice",
  "login",
  "outage",
  "latency",
  "billing",
  "export",
  "crash",
  "token",
  "quota",
];

/** The same memories, in the same order, in every engine (three sessions, two tiers, a rare flag). */
async function fill(loci: Loci, n: number): Promise<void> {
  const sessions: string[] = [];
  for (let s = 0; s < 3; s++) sessions.push((await loci.session.create({ namespace: "t" })).id);
  for (let i = 0; i < n; i += 500) {
    await loci.memory.addMany({
      namespace: "t",
      memories: Array.from({ length: Math.min(500, n - i) }, (_, j) => {
        const k = i + j;
        return {
          content: `${WORDS[k % 10]} ${WORDS[(k * 7) % 10]} report ${k} about ${WORDS[(k * 3) % 10]} case ${k % 131}`,
          metadata: { tier: k % 2 === 0 ? "gold" : "free", rare: k % 97 === 0 },
          sessionId: sessions[k % 3]!,
          importance: (k % 5) / 4,
        };
      }),
    });
  }
}

async function engines(n: number) {
  // One clock for both: recency and retention are the same in both engines.
  const clock = new ManualClock(Date.parse("2026-06-01T00:00:00Z"));
  const on = await openTempEngine({ clock });
  const off = await openTempEngine({ vectorSketch: false, clock });
  envs.push(on, off);
  await fill(on.loci, n);
  await fill(off.loci, n);
  // Both ANN graphs complete (a vector still pending insertion is scored in double precision, one in
  // the graph in single precision: the engines would differ in the last digits).
  await Promise.all([on.loci.whenIndexed(), off.loci.whenIndexed()]);
  return { on, off, clock };
}

/** Hits as (content, score, breakdown): ids differ between engines. */
async function hits(loci: Loci, opts: SearchOptions) {
  return (await loci.memory.search(opts)).map((h) => [h.memory.content, h.score, h.scores]);
}

/** Counts the stored vectors search reads (the real store's reads, spied on, not replaced). */
function countReads(): { total: () => number } {
  let total = 0;
  const real = SqliteNamespaceStore.prototype.getEmbeddings;
  vi.spyOn(SqliteNamespaceStore.prototype, "getEmbeddings").mockImplementation(function (
    this: SqliteNamespaceStore,
    seqs,
  ) {
    total += seqs.length;
    return real.call(this, seqs);
  });
  return { total: () => total };
}

const QUERIES = [
  "refund report about billing",
  "login crash case 12",
  "quota token outage",
  "latency export 7",
];

describe("search with the vector sketch", () => {
  it("returns exactly the hits and scores of reading every vector, in every mode and option", async () => {
    const { on, off } = await engines(3_000);
    const variants: Omit<SearchOptions, "namespace" | "query">[] = [
      {},
      { mode: "vector" },
      { mode: "keyword" },
      { neighbors: false },
      { vectorWeight: 0.8, limit: 25 },
      { fusion: "rrf" },
      { recencyWeight: 0.3 },
      { minScore: 0.3 },
      { metadataFilter: { tier: "gold" } },
      { metadataFilter: { rare: true } },
      { metadataFilter: { rare: true }, mode: "vector", limit: 5 },
    ];
    for (const query of QUERIES) {
      for (const v of variants) {
        const opts = { namespace: "t", query, ...v };
        const want = await hits(off.loci, opts);
        expect(want.length).toBeGreaterThan(0);
        expect(await hits(on.loci, opts)).toEqual(want);
      }
    }
  });

  it("reads far fewer stored vectors for keyword-only candidates and for selective filters", async () => {
    const { on, off } = await engines(3_000);
    const reads = countReads();
    const readsFor = async (loci: Loci, opts: Omit<SearchOptions, "namespace">) => {
      const before = reads.total();
      await loci.memory.search({ namespace: "t", ...opts });
      return reads.total() - before;
    };
    let withSketch = 0;
    let without = 0;
    for (const query of QUERIES) {
      withSketch += await readsFor(on.loci, { query });
      without += await readsFor(off.loci, { query });
    }
    expect(without).toBeGreaterThan(0);
    expect(withSketch).toBeLessThan(without / 2);
    // 31 rare memories: the exact path scores every match, the sketch reads only the best few.
    const rare = {
      query: "refund report",
      mode: "vector" as const,
      limit: 3,
      metadataFilter: { rare: true },
    };
    expect(await readsFor(off.loci, rare)).toBe(31);
    expect(await readsFor(on.loci, rare)).toBeLessThan(15);
  });

  it("follows updates and deletes, and after a reopen sketches the snapshot's vectors in the background", async () => {
    const { on, off } = await engines(2_000);
    for (const env of [on, off]) {
      const [first] = await env.loci.memory.search({ namespace: "t", query: "refund report about billing" });
      await env.loci.memory.update({
        namespace: "t",
        id: first!.memory.id,
        content: "quota token outage now",
      });
      const [second] = await env.loci.memory.search({ namespace: "t", query: "login crash case 12" });
      await env.loci.memory.delete({ namespace: "t", id: second!.memory.id });
      await env.loci.whenIndexed();
    }
    for (const query of QUERIES) {
      const opts = { namespace: "t", query };
      expect(await hits(on.loci, opts)).toEqual(await hits(off.loci, opts));
    }
    await on.reopen();
    await on.loci.whenIndexed();
    const reads = countReads();
    const opts = { namespace: "t", query: QUERIES[0]! };
    // Right after the reopen the sketch is being filled: results are the same meanwhile.
    expect(await hits(on.loci, opts)).toEqual(await hits(off.loci, opts));
    await vi.waitFor(
      async () => {
        const before = reads.total();
        await on.loci.memory.search(opts);
        expect(reads.total() - before).toBeLessThan(20);
      },
      { timeout: 10_000, interval: 50 },
    );
    for (const query of QUERIES) {
      const o = { namespace: "t", query };
      expect(await hits(on.loci, o)).toEqual(await hits(off.loci, o));
    }
  });

  it("with a cap on its size, sketches part of the namespace and still returns the same results", async () => {
    const clock = new ManualClock(Date.parse("2026-06-01T00:00:00Z"));
    // 256-d: one chunk of 1,024 seqs is 268 KiB; a 0.3 MiB cap holds one chunk of the 2,000 memories.
    const capped = await openTempEngine({ clock, vectorSketch: { maxMiB: 0.3 } });
    const off = await openTempEngine({ clock, vectorSketch: false });
    envs.push(capped, off);
    for (const env of [capped, off]) {
      await fill(env.loci, 2_000);
      await env.loci.whenIndexed();
    }
    for (const query of QUERIES) {
      const opts = { namespace: "t", query, metadataFilter: { rare: true } };
      expect(await hits(capped.loci, opts)).toEqual(await hits(off.loci, opts));
      expect(await hits(capped.loci, { namespace: "t", query })).toEqual(
        await hits(off.loci, { namespace: "t", query }),
      );
    }
    // After a reopen the background fill stops at the cap: searches keep working and agree.
    await capped.reopen();
    await capped.loci.memory.search({ namespace: "t", query: "warm" });
    await new Promise((r) => setTimeout(r, 200));
    for (const query of QUERIES) {
      expect(await hits(capped.loci, { namespace: "t", query })).toEqual(
        await hits(off.loci, { namespace: "t", query }),
      );
    }
  });

  it("rejects a bad cap with a typed error", async () => {
    // Checked before the data directory is touched.
    const dataDir = join(tmpdir(), `loci-never-${process.pid}`);
    for (const maxMiB of [-1, Number.NaN, "64" as unknown as number]) {
      await expect(Loci.open({ dataDir, vectorSketch: { maxMiB } })).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
        details: { field: "vectorSketch.maxMiB" },
      });
    }
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe("sketch snapshots", () => {
  /** The snapshot directory of the data directory's only namespace. */
  const snapshotDir = (dataDir: string) => {
    const root = join(dataDir, "tenants", "default", "indexes");
    return join(root, readdirSync(root)[0]!);
  };
  /**
   * Opens the namespace (namespaces open on first use: a listing reads no vectors) and counts the
   * stored vectors read in the background, once nothing more comes (no search runs).
   */
  const readsAfterOpen = async (loci: Loci, reads: { total: () => number }) => {
    await loci.memory.list({ namespace: "t", limit: 1 });
    let last = -1;
    while (reads.total() !== last) {
      last = reads.total();
      await new Promise((r) => setTimeout(r, 150));
    }
    return last;
  };

  it("are written on close and loaded on open: no stored vector is read again to sketch it", async () => {
    const { on, off } = await engines(3_000);
    await on.reopen();
    expect(existsSync(join(snapshotDir(on.dataDir), "vectors.sketch"))).toBe(true);
    await on.loci.close();
    const reads = countReads();
    await on.reopen();
    expect(await readsAfterOpen(on.loci, reads)).toBe(0);
    for (const query of QUERIES) {
      const opts = { namespace: "t", query };
      expect(await hits(on.loci, opts)).toEqual(await hits(off.loci, opts));
    }
    // Without the file the sketch fills from the stored vectors again.
    await on.loci.close();
    rmSync(join(snapshotDir(on.dataDir), "vectors.sketch"));
    const before = reads.total();
    await on.reopen();
    expect((await readsAfterOpen(on.loci, reads)) - before).toBeGreaterThanOrEqual(3_000);
  });

  it("after a crash, vouch only for memories unchanged since the snapshot", async () => {
    const { on, off, clock } = await engines(3_000);
    await on.reopen(); // the snapshots include every memory
    // Changed since: new contents (new vectors) that the snapshot's sketch would misjudge.
    for (const env of [on, off]) {
      const targets = await env.loci.memory.search({
        namespace: "t",
        query: "login crash case 12",
        limit: 5,
      });
      for (const [i, t] of targets.entries())
        await env.loci.memory.update({
          namespace: "t",
          id: t.memory.id,
          content: `zebra giraffe ${i} savanna`,
        });
      await env.loci.memory.delete({ namespace: "t", id: targets[4]!.memory.id });
      await env.loci.whenIndexed();
    }
    const copy = mkdtempSync(join(tmpdir(), "loci-crash-"));
    try {
      cpSync(on.dataDir, copy, { recursive: true });
      rmSync(join(copy, "tenants", "default", "LOCK"));
      const crashed = await Loci.open({
        dataDir: copy,
        embedder: new HashEmbedder({ dimensions: 256 }),
        clock,
      });
      try {
        await crashed.memory.list({ namespace: "t", limit: 1 });
        await crashed.whenIndexed(); // (graph scores in single precision, as the other engine's)
        for (const query of ["zebra giraffe 2 savanna", "zebra giraffe savanna", ...QUERIES])
          for (const mode of ["vector", "hybrid"] as const) {
            const opts = { namespace: "t", query, mode };
            expect(await hits(crashed, opts)).toEqual(await hits(off.loci, opts));
          }
      } finally {
        await crashed.close();
      }
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("older than the graph's snapshot, drop the memories changed or deleted since their own", async () => {
    const { on, off, clock } = await engines(3_000);
    await on.reopen();
    const file = join(snapshotDir(on.dataDir), "vectors.sketch");
    const older = readFileSync(file); // the sketch before the changes below
    for (const env of [on, off]) {
      const targets = await env.loci.memory.search({
        namespace: "t",
        query: "refund report about billing",
        limit: 6,
      });
      for (const [i, t] of targets.slice(0, 5).entries())
        await env.loci.memory.update({ namespace: "t", id: t.memory.id, content: `okapi lemur ${i} jungle` });
      await env.loci.memory.delete({ namespace: "t", id: targets[5]!.memory.id });
      await env.loci.whenIndexed();
    }
    await on.loci.close(); // every snapshot now includes the changes
    writeFileSync(file, older); // but the sketch's is the one from before them
    const reads = countReads();
    await on.reopen({ clock });
    // The five changed memories are sketched again from their stored vectors; nothing else is read.
    expect(await readsAfterOpen(on.loci, reads)).toBe(5);
    await on.loci.whenIndexed();
    for (const query of ["okapi lemur 3 jungle", "okapi lemur jungle", ...QUERIES])
      for (const mode of ["vector", "hybrid"] as const) {
        const opts = { namespace: "t", query, mode };
        expect(await hits(on.loci, opts)).toEqual(await hits(off.loci, opts));
      }
  });

  it("ahead of the database (restored from an older copy), are not used", async () => {
    const { on, off, clock } = await engines(3_000);
    await on.loci.close();
    // A sketch of other vectors for every seq, claiming a generation the database never reached.
    const wrong = new VectorSketch(256);
    for (let seq = 1; seq <= 4_000; seq++)
      wrong.set(
        seq,
        Float32Array.from({ length: 256 }, (_, i) => Math.cos(seq + i)),
      );
    await saveSketchSnapshot(wrong, { dir: snapshotDir(on.dataDir) }, 1_000_000);
    const reads = countReads();
    await on.reopen({ clock });
    expect(await readsAfterOpen(on.loci, reads)).toBeGreaterThanOrEqual(3_000);
    await on.loci.whenIndexed();
    for (const query of QUERIES)
      for (const mode of ["vector", "hybrid"] as const) {
        const opts = { namespace: "t", query, mode };
        expect(await hits(on.loci, opts)).toEqual(await hits(off.loci, opts));
      }
  });
});
