import { createHash, randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HashEmbedder } from "../embed/hash.js";
import { EF_SCALE_FROM, EXHAUSTIVE_UP_TO, FILTERED_EF_FACTOR, HnswIndex, searchBeam } from "./hnsw.js";
import { dropSnapshot, type HnswSnapshotMeta, loadSnapshot, saveSnapshot } from "./hnsw-snapshot.js";
import { ramScratchDir } from "./snapshot-cipher.js";

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function vectors(n: number, dims: number, seed = 1): Float32Array[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: dims }, r));
}

function dotUnit(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  return d / Math.sqrt(na * nb);
}

function exactTop(query: Float32Array, all: Map<number, Float32Array>, k: number): number[] {
  return [...all]
    .map(([l, v]) => [l, dotUnit(query, v)] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(([l]) => l);
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("HnswIndex", () => {
  it("finds the nearest neighbours, grows past its capacity, and reports cosine similarity", () => {
    const idx = new HnswIndex({ dimensions: 16, initialCapacity: 8 });
    const all = new Map<number, Float32Array>();
    vectors(300, 16).forEach((v, i) => {
      idx.upsert(i + 10, v);
      all.set(i + 10, v);
    });
    expect(idx.size).toBe(300);
    idx.flush();
    expect(idx.pending).toBe(0);
    const q = vectors(1, 16, 99)[0]!;
    const hits = idx.search(q, 10);
    expect(hits.map((h) => h.label)).toEqual(exactTop(q, all, 10));
    const self = idx.search(all.get(42)!, 1)[0]!;
    expect(self.label).toBe(42);
    expect(self.similarity).toBeCloseTo(1, 5);
  });

  it("deletes, reuses deleted slots, updates in place and filters", () => {
    const idx = new HnswIndex({ dimensions: 8, initialCapacity: 4 });
    const vs = vectors(6, 8, 3);
    vs.slice(0, 4).forEach((v, i) => {
      idx.upsert(i + 1, v);
    });
    idx.remove(2);
    idx.remove(2);
    expect(idx.has(2)).toBe(false);
    idx.upsert(5, vs[4]!); // reuses the deleted slot, no resize needed
    expect(idx.search(vs[1]!, 4).map((h) => h.label)).not.toContain(2);
    idx.upsert(1, vs[5]!); // update in place
    expect(idx.search(vs[5]!, 1)[0]!.label).toBe(1);
    expect(idx.size).toBe(4);
    expect(idx.search(vs[5]!, 4, (l) => l !== 1).map((h) => h.label)).not.toContain(1);
    expect(idx.searchAmong(vs[4]!, 2, [3, 5, 2]).map((h) => h.label)).toEqual([5, 3]);
  });

  it("saves and loads a snapshot, treating labels the storage no longer holds as deleted", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loci-hnsw-"));
    dirs.push(dir);
    const idx = new HnswIndex({ dimensions: 8 });
    const vs = vectors(20, 8, 5);
    vs.forEach((v, i) => {
      idx.upsert(i + 1, v);
    });
    idx.flush();
    await saveSnapshot(idx, dir, 77);
    const loaded = await loadSnapshot(dir, { dimensions: 8, live: [...Array(19).keys()].map((i) => i + 1) });
    expect(loaded?.generation).toBe(77);
    expect(loaded!.index.size).toBe(19);
    expect(loaded!.index.search(vs[19]!, 20).map((h) => h.label)).not.toContain(20);
    expect(loaded!.index.search(vs[3]!, 1)[0]!.label).toBe(4);
  });

  it("serves labels not yet in the graph exactly, inserts them in the background, and bounds them", async () => {
    const idx = new HnswIndex({ dimensions: 16, maxPending: 50 });
    const all = new Map<number, Float32Array>();
    vectors(80, 16, 11).forEach((v, i) => {
      idx.upsert(i, v);
      all.set(i, v);
    });
    // Past maxPending, the oldest labels went into the graph synchronously.
    expect(idx.pending).toBe(50);
    expect(idx.size).toBe(80);
    const q = vectors(1, 16, 12)[0]!;
    const even = (l: number) => l % 2 === 0;
    const exactEven = exactTop(q, new Map([...all].filter(([l]) => even(l))), 5);
    expect(idx.search(q, 5, even).map((h) => h.label)).toEqual(exactEven);
    expect(idx.searchAmong(q, 3, [70, 75, 1])).toHaveLength(3);
    expect(idx.similarities(q, [79]).get(79)).toBeCloseTo(dotUnit(q, all.get(79)!), 5);
    idx.remove(79);
    expect(idx.has(79)).toBe(false);
    await idx.whenIndexed();
    expect(idx.pending).toBe(0);
    expect(idx.size).toBe(79);
    expect(idx.search(q, 5, even).map((h) => h.label)).toEqual(exactEven);
  });

  it("leaves pending labels out of a snapshot (they are re-added from storage on load)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loci-hnsw-"));
    dirs.push(dir);
    const idx = new HnswIndex({ dimensions: 8 });
    const vs = vectors(10, 8, 6);
    for (const [i, v] of vs.slice(0, 6).entries()) idx.upsert(i + 1, v);
    idx.flush();
    for (const [i, v] of vs.slice(6).entries()) idx.upsert(i + 7, v);
    await saveSnapshot(idx, dir, 5);
    const loaded = await loadSnapshot(dir, { dimensions: 8, live: [...Array(10).keys()].map((i) => i + 1) });
    expect([...loaded!.index.labels()].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    idx.dispose();
    expect(idx.pending).toBe(0);
    // Discarded: the graph is freed, nothing is found any more.
    expect(idx.size).toBe(0);
    expect(idx.search(vs[0]!, 5)).toEqual([]);
    // The snapshot it wrote is unaffected.
    expect(loaded!.index.search(vs[0]!, 1).map((h) => h.label)).toEqual([1]);
  });

  it("refuses a corrupt or mismatched snapshot instead of loading it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loci-hnsw-"));
    dirs.push(dir);
    const idx = new HnswIndex({ dimensions: 8 });
    vectors(5, 8).forEach((v, i) => {
      idx.upsert(i, v);
    });
    idx.flush();
    await saveSnapshot(idx, dir, 1);
    expect(await loadSnapshot(dir, { dimensions: 16, live: [] })).toBeNull();
    // The layout holds but one byte of a vector changed: read while hashed, and refused (freed).
    const file = join(dir, "vectors.hnsw");
    const good = readFileSync(file);
    const flipped = Buffer.from(good);
    flipped[200]! ^= 0x10;
    writeFileSync(file, flipped);
    expect(await loadSnapshot(dir, { dimensions: 8, live: [0, 1, 2, 3, 4] })).toBeNull();
    writeFileSync(file, good);
    expect((await loadSnapshot(dir, { dimensions: 8, live: [0, 1, 2, 3, 4] }))?.index.size).toBe(5);
    // The live set failing to arrive (the memories could not be read): no index, no unhandled rejection.
    const failing = Promise.reject(new Error("rows unreadable"));
    expect(await loadSnapshot(dir, { dimensions: 8, live: failing })).toBeNull();
    writeFileSync(join(dir, "vectors.hnsw"), "garbage");
    expect(await loadSnapshot(dir, { dimensions: 8, live: [] })).toBeNull();
    dropSnapshot(dir);
    expect(await loadSnapshot(dir, { dimensions: 8, live: [] })).toBeNull();
  });

  it("authenticates an encrypted snapshot by its GCM tag: no checksum pass, altered or swapped files refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loci-hnsw-"));
    const other = mkdtempSync(join(tmpdir(), "loci-hnsw-"));
    dirs.push(dir, other);
    const cipher = { key: randomBytes(32), scratchDir: ramScratchDir() ?? tmpdir() };
    const idx = new HnswIndex({ dimensions: 8 });
    const vs = vectors(30, 8, 3);
    vs.forEach((v, i) => {
      idx.upsert(i + 1, v);
    });
    idx.flush();
    await saveSnapshot(idx, dir, 5, cipher);
    await saveSnapshot(idx, other, 5, cipher); // the same graph, encrypted again (another IV and tag)
    const metaFile = join(dir, "vectors.json");
    const meta = JSON.parse(readFileSync(metaFile, "utf8")) as HnswSnapshotMeta;
    expect(meta.sha256).toBeUndefined();
    expect(meta.tag).toMatch(/^[0-9a-f]{32}$/);
    const live = vs.map((_, i) => i + 1);
    const load = () => loadSnapshot(dir, { dimensions: 8, live, cipher });
    expect((await load())!.index.search(vs[7]!, 1)[0]!.label).toBe(8);
    const file = join(dir, "vectors.hnsw");
    const good = readFileSync(file);
    const flipped = Buffer.from(good);
    flipped[Math.floor(flipped.length / 2)]! ^= 0x01;
    writeFileSync(file, flipped);
    expect(await load()).toBeNull(); // decryption fails on the altered byte
    copyFileSync(join(other, "vectors.hnsw"), file);
    expect(await load()).toBeNull(); // a valid file, but not the one this sidecar was written with
    writeFileSync(file, good);
    expect(await load()).not.toBeNull();
    // A sidecar of an earlier release (a checksum of the encrypted file, no tag) still loads.
    const { tag: _, ...legacy } = meta;
    const sha256 = createHash("sha256").update(good).digest("hex");
    writeFileSync(metaFile, JSON.stringify({ ...legacy, sha256 }));
    expect(await load()).not.toBeNull();
    writeFileSync(metaFile, JSON.stringify({ ...legacy, sha256: "0".repeat(64) }));
    expect(await load()).toBeNull();
  });

  it("writes the graph on a worker thread while searches, inserts, updates and deletes go on", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loci-hnsw-"));
    dirs.push(dir);
    const idx = new HnswIndex({ dimensions: 16 });
    const vs = vectors(300, 16, 21);
    vs.forEach((v, i) => {
      idx.upsert(i + 1, v);
    });
    idx.flush();
    const [moved, added] = vectors(2, 16, 22);
    const writing = saveSnapshot(idx, dir, 9);
    // The graph is held unchanged meanwhile: changes wait, and searches see them at once.
    idx.upsert(5, moved!);
    idx.upsert(301, added!);
    idx.remove(7);
    expect(idx.pending).toBe(2);
    expect(idx.size).toBe(300);
    const top = (q: Float32Array, k = 1) => idx.search(q, k).map((h) => h.label);
    expect(top(moved!)).toEqual([5]);
    expect(top(added!)).toEqual([301]);
    expect(top(vs[6]!, 300)).not.toContain(7);
    expect(top(vs[4]!, 300).filter((l) => l === 5)).toHaveLength(1);
    expect(idx.similarities(moved!, [5]).get(5)).toBeCloseTo(1, 5);
    idx.flush(); // a no-op while the graph is written
    expect(idx.pending).toBe(2);
    await writing;
    // Afterwards the held changes reach the graph.
    await idx.whenIndexed();
    expect(idx.pending).toBe(0);
    expect(idx.size).toBe(300);
    expect(top(moved!)).toEqual([5]);
    expect(top(vs[6]!, 300)).not.toContain(7);
    expect([...idx.labels()]).toHaveLength(300);
    // The file holds the graph as it was when the write began (7 is dropped on load: not live).
    const live = [...Array(301).keys()].map((i) => i + 1).filter((l) => l !== 7);
    const loaded = await loadSnapshot(dir, { dimensions: 16, live });
    expect(loaded?.generation).toBe(9);
    expect(loaded!.index.size).toBe(299);
    expect(loaded!.index.has(301)).toBe(false);
    expect(loaded!.index.search(vs[4]!, 1).map((h) => h.label)).toEqual([5]);
  });

  it("frees a graph disposed of while it is written only once the write ends", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loci-hnsw-"));
    dirs.push(dir);
    const idx = new HnswIndex({ dimensions: 16 });
    const vs = vectors(200, 16, 23);
    vs.forEach((v, i) => {
      idx.upsert(i + 1, v);
    });
    idx.flush();
    const writing = saveSnapshot(idx, dir, 3);
    idx.dispose();
    expect(idx.size).toBe(0);
    expect(idx.search(vs[0]!, 5)).toEqual([]);
    await writing;
    const loaded = await loadSnapshot(dir, {
      dimensions: 16,
      live: [...Array(200).keys()].map((i) => i + 1),
    });
    expect(loaded!.index.size).toBe(200);
    expect(loaded!.index.search(vs[9]!, 1).map((h) => h.label)).toEqual([10]);
    // Freed: an empty graph is all that is left.
    await expect(idx.writeGraph(join(dir, "again.hnsw"))).resolves.toBe(0);
  });
});

describe("searchBeam", () => {
  it("holds the whole graph up to EXHAUSTIVE_UP_TO, keeps efSearch to EF_SCALE_FROM, then widens with log2", () => {
    expect(searchBeam(64, 0)).toBe(64);
    expect(searchBeam(64, 300)).toBe(300);
    expect(searchBeam(64, EXHAUSTIVE_UP_TO)).toBe(EXHAUSTIVE_UP_TO);
    expect(searchBeam(64, EXHAUSTIVE_UP_TO + 1)).toBe(64);
    expect(searchBeam(64, EF_SCALE_FROM)).toBe(64);
    expect(searchBeam(64, 2 * EF_SCALE_FROM)).toBe(128);
    expect(searchBeam(64, 4 * EF_SCALE_FROM)).toBe(192);
    expect(searchBeam(64, 10 * EF_SCALE_FROM)).toBe(Math.ceil(64 * (1 + Math.log2(10))));
    for (let size = EF_SCALE_FROM; size < 50 * EF_SCALE_FROM; size *= 1.7) {
      expect(searchBeam(64, size * 1.7)).toBeGreaterThanOrEqual(searchBeam(64, size));
    }
  });

  it("an index searches with at least k, the filtered factor on top, counting graph elements only", () => {
    const n = 2 * (EXHAUSTIVE_UP_TO + 100);
    const idx = new HnswIndex({ dimensions: 8, efSearch: 32, efScaleFrom: n / 2 });
    for (const [i, v] of vectors(n, 8).entries()) idx.upsert(i, v);
    // Pending vectors are not in the graph yet: the beam is the base one.
    expect(idx.beam(10)).toBe(32);
    expect(idx.beam(100)).toBe(100);
    expect(idx.beam(10, true)).toBe(Math.ceil(32 * FILTERED_EF_FACTOR));
    idx.flush();
    // Twice the scaling threshold in the graph: twice the beam.
    expect(idx.beam(10)).toBe(64);
    expect(idx.beam(10, true)).toBe(Math.ceil(64 * FILTERED_EF_FACTOR));
    expect(idx.beam(100)).toBe(100);
    for (let i = 0; i < n / 2; i++) idx.remove(i);
    expect(idx.beam(10)).toBe(32);
    // A small graph is walked whole.
    for (let i = n / 2; i < n - 300; i++) idx.remove(i);
    expect(idx.beam(10)).toBe(300);
  });

  it("a small namespace's graph returns the exact top k (hash embeddings, where a beam of 64 missed one)", async () => {
    const embedder = new HashEmbedder();
    const topics = [
      "invoice",
      "renewal",
      "outage",
      "contract",
      "refund",
      "onboarding",
      "pricing",
      "security",
    ];
    const texts = Array.from(
      { length: 300 },
      (_, i) => `${topics[i % 8]} note ${i} for customer ${i % 17} about ${topics[(i * 3) % 8]} in derived-a`,
    );
    const all = new Map((await embedder.embed(texts)).map((v, i) => [i + 1, v] as const));
    const idx = new HnswIndex({ dimensions: embedder.dimensions });
    for (const [label, v] of all) idx.upsert(label, v);
    idx.flush();
    const queries = await embedder.embed([
      "note 250 renewal pricing",
      "security outage",
      "invoice for customer 3",
    ]);
    for (const q of queries) {
      expect(idx.search(q, 10).map((h) => h.label)).toEqual(exactTop(q, all, 10));
    }
  });
});
