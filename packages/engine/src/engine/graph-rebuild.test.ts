import { describe, expect, it, vi } from "vitest";
import { HnswIndex } from "../index/hnsw.js";
import { GraphRebuild, REBUILD_PAGE } from "./graph-rebuild.js";
import { GraphRebuilder, graphBytes, MEMORY_SHARE } from "./graph-rebuilder.js";

const DIMS = 16;

function vector(seed: number): Float32Array {
  let s = (seed * 2654435761) >>> 0;
  return Float32Array.from({ length: DIMS }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

/**
 * A namespace's stored vectors and the graph searches use (the old parameters), and a rebuild into a
 * denser graph whose page reads return what was stored when they were issued, but arrive only when
 * `arrive()` is called: writes in between are what the rebuild must not lose or undo.
 */
function setup(count: number) {
  const stored = new Map<number, Float32Array>();
  const current = new HnswIndex({ dimensions: DIMS, m: 8, efConstruction: 32 });
  for (let seq = 1; seq <= count; seq++) {
    stored.set(seq, vector(seq));
    current.upsert(seq, vector(seq));
  }
  current.flush();
  const arrivals: (() => void)[] = [];
  const rebuild = new GraphRebuild({
    next: new HnswIndex({ dimensions: DIMS, m: 24, efConstruction: 64 }),
    current: () => current,
    seqs: [...current.labels()],
    read: (seqs) => {
      const page = new Map(seqs.flatMap((s) => (stored.has(s) ? [[s, stored.get(s)!] as const] : [])));
      return new Promise((resolve) => arrivals.push(() => resolve(page)));
    },
  });
  const arrive = async () => {
    while (arrivals.length === 0) await new Promise((r) => setTimeout(r, 1));
    arrivals.shift()!();
  };
  /** A committed write, as the runtime applies it: the store, the graph in use and the rebuild. */
  const write = (seq: number, v: Float32Array) => {
    stored.set(seq, v);
    current.upsert(seq, v);
    rebuild.upsert(seq, v);
  };
  const remove = (seq: number) => {
    stored.delete(seq);
    current.remove(seq);
    rebuild.remove(seq);
  };
  return { rebuild, current, arrive, write, remove };
}

const similarity = (index: HnswIndex, seq: number, v: Float32Array) => index.similarities(v, [seq]).get(seq);

describe("GraphRebuild", () => {
  it("copies every stored vector into the new graph, page by page", async () => {
    const { rebuild, arrive } = setup(REBUILD_PAGE * 2 + 10);
    const done = rebuild.run();
    expect(rebuild.pending).toBe(REBUILD_PAGE * 2 + 10);
    for (let i = 0; i < 3; i++) await arrive();
    expect(await done).toBe(true);
    expect(rebuild.pending).toBe(0);
    expect(rebuild.next.size).toBe(REBUILD_PAGE * 2 + 10);
    expect(rebuild.next.pending).toBe(0);
    expect([rebuild.next.m, rebuild.next.efConstruction]).toEqual([24, 64]);
    const hit = rebuild.next.search(vector(77), 1)[0]!;
    expect(hit.label).toBe(77);
    expect(hit.similarity).toBeCloseTo(1, 5);
  });

  it("keeps writes and deletes made while a page was in flight, over the page's older copy", async () => {
    const { rebuild, arrive, write, remove } = setup(20);
    const done = rebuild.run();
    // The first page has been read; before it arrives: an update, a delete and a new memory.
    const changed = vector(1_000);
    write(3, changed);
    remove(5);
    write(21, vector(21));
    await arrive();
    expect(await done).toBe(true);
    expect(similarity(rebuild.next, 3, changed)).toBeCloseTo(1, 5);
    expect(rebuild.next.has(5)).toBe(false);
    expect(rebuild.next.has(21)).toBe(true);
    expect(rebuild.next.size).toBe(20);
  });

  it("applies deletes that come after a page was copied", async () => {
    const { rebuild, arrive, remove } = setup(REBUILD_PAGE + 5);
    const done = rebuild.run();
    await arrive();
    // The first page is in the new graph; the second is in flight.
    while (rebuild.pending > 5) await new Promise((r) => setTimeout(r, 1));
    expect(rebuild.next.has(7)).toBe(true);
    remove(7);
    await arrive();
    expect(await done).toBe(true);
    expect(rebuild.next.has(7)).toBe(false);
    expect(rebuild.next.size).toBe(REBUILD_PAGE + 4);
  });

  it("stops when cancelled, frees the new graph, and reports read failures", async () => {
    const { rebuild, arrive } = setup(REBUILD_PAGE + 1);
    const done = rebuild.run();
    await arrive();
    rebuild.cancel();
    expect(await done).toBe(false);
    expect(rebuild.pending).toBe(0);
    expect(rebuild.next.size).toBe(0);
    rebuild.upsert(1, vector(1));
    expect(rebuild.next.size).toBe(0);

    const failing = new GraphRebuild({
      next: new HnswIndex({ dimensions: DIMS }),
      current: () => null,
      seqs: [1, 2],
      read: () => Promise.reject(new Error("disk gone")),
    });
    await expect(failing.run()).rejects.toThrow("disk gone");
  });
});

describe("GraphRebuilder", () => {
  function rebuilder(opts: { failures: number; availableMemory?: () => number }) {
    let current = new HnswIndex({ dimensions: DIMS, m: 8, efConstruction: 32 });
    for (let seq = 1; seq <= 50; seq++) current.upsert(seq, vector(seq));
    current.flush();
    let failures = opts.failures;
    const swapped: HnswIndex[] = [];
    const reported: [string, number][] = [];
    const r = new GraphRebuilder({
      current: () => current,
      newGraph: (like) => new HnswIndex({ dimensions: like.dimensions, m: 24, efConstruction: 64 }),
      read: async (seqs) => {
        if (failures-- > 0) throw new Error("connection reset");
        return new Map(seqs.map((s) => [s, vector(s)] as const));
      },
      swap: (next) => {
        swapped.push(next);
        current = next;
      },
      retryMs: 5,
      onFailure: (err, retryInMs) => reported.push([(err as Error).message, retryInMs]),
      ...(opts.availableMemory ? { availableMemory: opts.availableMemory } : {}),
    });
    return { r, swapped, reported, current: () => current };
  }

  it("swaps the finished graph in and frees the old one", async () => {
    const { r, swapped, current } = rebuilder({ failures: 0 });
    const old = current();
    r.reconcile({ m: 24, efConstruction: 64 });
    expect(r.pending).toBe(50);
    await r.whenDone();
    expect(swapped).toHaveLength(1);
    expect([current().m, current().size]).toEqual([24, 50]);
    expect(old.size).toBe(0);
    // Already built with these parameters: nothing to do.
    r.reconcile({ m: 24, efConstruction: 64 });
    expect(r.pending).toBe(0);
  });

  it("reports a failed read and retries, counting the work as pending and rejecting waiters meanwhile", async () => {
    const { r, swapped, reported, current } = rebuilder({ failures: 2 });
    r.reconcile({ m: 24, efConstruction: 64 });
    await expect(r.whenDone()).rejects.toThrow("connection reset");
    expect(reported).toEqual([["connection reset", 5]]);
    expect(swapped).toHaveLength(0);
    expect(r.pending).toBe(50);
    await vi.waitFor(() => expect(swapped).toHaveLength(1));
    expect(reported).toHaveLength(2);
    expect(current().m).toBe(24);
    expect(r.pending).toBe(0);
    await expect(r.whenDone()).resolves.toBeUndefined();
  });

  it("puts a rebuild off while two graphs would not fit in the available memory", async () => {
    const needed = graphBytes(1024, DIMS, 24);
    let available = needed; // less than needed / MEMORY_SHARE
    const { r, swapped, reported, current } = rebuilder({ failures: 0, availableMemory: () => available });
    r.reconcile({ m: 24, efConstruction: 64 });
    await expect(r.whenDone()).rejects.toMatchObject({
      code: "INSUFFICIENT_MEMORY",
      details: { neededBytes: needed, availableBytes: needed },
    });
    expect(reported).toHaveLength(1);
    expect(r.pending).toBe(50);
    expect(current().m).toBe(8);
    available = Math.ceil(needed / MEMORY_SHARE) + 1;
    await vi.waitFor(() => expect(swapped).toHaveLength(1));
    expect(current().m).toBe(24);
    await expect(r.whenDone()).resolves.toBeUndefined();
  });

  it("estimates a graph's memory as hnswlib lays it out", () => {
    // 1M 512-d vectors at M 16: ~2.3 GB (a 1M-memory namespace measured ~2.2 GB of graph, see the README).
    expect(graphBytes(1_000_000, 512, 16) / 2 ** 30).toBeCloseTo(2.14, 1);
    expect(graphBytes(1_000_000, 512, 32)).toBeGreaterThan(graphBytes(1_000_000, 512, 16));
  });

  it("schedules nothing more once closed", async () => {
    const { r, swapped } = rebuilder({ failures: 1 });
    r.reconcile({ m: 24, efConstruction: 64 });
    await expect(r.whenDone()).rejects.toThrow("connection reset");
    r.close();
    await expect(r.whenDone()).resolves.toBeUndefined();
    expect(r.pending).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(swapped).toHaveLength(0);
  });
});
