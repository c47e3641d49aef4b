import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { HashEmbedder } from "../embed/hash.js";
import { StorageError } from "../errors.js";
import { Loci, type LociOptions } from "../loci.js";
import { SqliteDriver } from "../storage/sqlite.js";
import { overrideStores } from "../testing/store-proxy.js";
import type { LociEvent } from "../types.js";
import { type BackgroundFailure, describeFailure } from "./background-failures.js";

const embedder = new HashEmbedder({ dimensions: 32 });
const dirs: string[] = [];
const engines: Loci[] = [];
afterEach(async () => {
  for (const loci of engines.splice(0)) await loci.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function open(opts: Partial<LociOptions> = {}): Promise<{ loci: Loci; failures: BackgroundFailure[] }> {
  const dataDir = mkdtempSync(join(tmpdir(), "loci-bg-"));
  dirs.push(dataDir);
  const failures: BackgroundFailure[] = [];
  const loci = await Loci.open({
    dataDir,
    embedder,
    embeddingCache: false,
    onBackgroundError: (f) => failures.push(f),
    ...opts,
  });
  engines.push(loci);
  return { loci, failures };
}

const notes = (n: number) => Array.from({ length: n }, (_, i) => ({ content: `note ${i} about deploys` }));

describe("background failures", () => {
  it("reports an event handler that throws or rejects, and keeps delivering to it", async () => {
    const { loci, failures } = await open();
    await loci.namespace.create({ name: "ns" });
    const seen: string[] = [];
    await loci.events.subscribe({ namespace: "ns", types: ["memory.added"] }, (e: LociEvent) => {
      seen.push(e.id);
      if (seen.length === 1) throw new Error("handler bug");
      return seen.length === 2 ? Promise.reject(new Error("async handler bug")) : undefined;
    });
    for (const content of ["one", "two", "three"]) await loci.memory.add({ namespace: "ns", content });
    await vi.waitFor(() => expect(seen).toHaveLength(3));
    await vi.waitFor(() => expect(failures).toHaveLength(2));
    expect(failures.map((f) => [f.work, f.namespace, (f.error as Error).message, f.retryInMs])).toEqual([
      ["event-handler", "ns", "handler bug", null],
      ["event-handler", "ns", "async handler bug", null],
    ]);
  });

  it("reports a graph rebuild whose read of stored vectors fails, and whenIndexed rejects with it", async () => {
    let failReads = false;
    const dataDir = mkdtempSync(join(tmpdir(), "loci-bg-"));
    dirs.push(dataDir);
    const storage = overrideStores(new SqliteDriver({ dir: join(dataDir, "store") }), {
      getEmbeddings: (real, seqs) =>
        failReads
          ? Promise.reject(new StorageError({ code: "STORAGE_ERROR", message: "disk read failed" }))
          : real.getEmbeddings(seqs),
    });
    const { loci, failures } = await open({ dataDir, storage, vectorSketch: false });
    await loci.memory.addMany({ namespace: "ns", memories: notes(20) });
    await loci.whenIndexed();
    failReads = true;
    await loci.namespace.configure({ namespace: "ns", vectorIndex: { m: 24 } });
    await expect(loci.whenIndexed()).rejects.toMatchObject({ code: "STORAGE_ERROR" });
    expect(failures).toEqual([
      {
        work: "graph-rebuild",
        namespace: "ns",
        error: expect.objectContaining({ code: "STORAGE_ERROR" }),
        retryInMs: 30_000,
      },
    ]);
    // The old graph keeps serving, and the rebuild counts as pending until its retry.
    expect((await loci.namespace.get({ namespace: "ns" })).indexing.graphRebuildPending).toBe(20);
    const [top] = await loci.memory.search({
      namespace: "ns",
      query: "note 7 about deploys",
      mode: "vector",
    });
    expect(top?.memory.content).toBe("note 7 about deploys");
  });

  it("reports an ANN snapshot that cannot be written; the writes behind it stand", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "loci-bg-"));
    dirs.push(dataDir);
    const storage = new SqliteDriver({ dir: join(dataDir, "store") });
    const { loci, failures } = await open({ dataDir, storage, snapshotEvery: 5 });
    await loci.namespace.create({ name: "ns" });
    // A directory where the snapshot's temporary file goes: every snapshot write fails.
    const snapshotDir = (await storage.openNamespace("ns")).snapshotDir!;
    mkdirSync(join(snapshotDir, "vectors.hnsw.tmp"), { recursive: true });
    await loci.memory.addMany({ namespace: "ns", memories: notes(12) });
    await loci.whenIndexed();
    await loci.memory.add({ namespace: "ns", content: "one more" });
    await vi.waitFor(() => expect(failures.length).toBeGreaterThan(0));
    expect(failures.every((f) => f.work === "snapshot" && f.namespace === "ns" && f.retryInMs === null)).toBe(
      true,
    );
    expect((await loci.memory.list({ namespace: "ns", limit: 100 })).items).toHaveLength(13);
  });

  it("warns on stderr by default, and ignores a handler that throws", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const { loci } = await open({ onBackgroundError: undefined });
      await loci.namespace.create({ name: "ns" });
      await loci.events.subscribe({ namespace: "ns" }, () => {
        throw new Error("handler bug");
      });
      await loci.memory.add({ namespace: "ns", content: "one" });
      await vi.waitFor(() =>
        expect(warn).toHaveBeenCalledWith(
          'loci: background event-handler in namespace "ns" failed: handler bug',
        ),
      );
    } finally {
      warn.mockRestore();
    }
    const { loci } = await open({
      onBackgroundError: () => {
        throw new Error("reporter bug");
      },
    });
    await loci.namespace.create({ name: "other" });
    const seen: number[] = [];
    await loci.events.subscribe({ namespace: "other", types: ["memory.added"] }, (e) => {
      seen.push(e.seq);
      throw new Error("handler bug");
    });
    await loci.memory.add({ namespace: "other", content: "one" });
    await loci.memory.add({ namespace: "other", content: "two" });
    await vi.waitFor(() => expect(seen).toHaveLength(2));
  });

  it("describes a failure in one line", () => {
    expect(
      describeFailure({ work: "expiry-sweep", namespace: null, error: new Error("busy"), retryInMs: 60_000 }),
    ).toBe("loci: background expiry-sweep failed (retrying in 60 s): busy");
    expect(describeFailure({ work: "sketch", namespace: "a", error: "gone", retryInMs: null })).toBe(
      'loci: background sketch in namespace "a" failed: gone',
    );
  });
});
