import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { HashEmbedder } from "../embed/hash.js";
import { Loci } from "../loci.js";
import { SqliteDriver } from "../storage/sqlite.js";
import { overrideStores } from "../testing/store-proxy.js";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";
import { DEFAULT_NAMESPACE_CONFIG } from "./convert.js";
import { NamespaceRuntime } from "./namespace-runtime.js";

const hash = new HashEmbedder({ dimensions: 64 });
let envs: TempEngine[] = [];
afterEach(async () => {
  for (const env of envs) await env.cleanup();
  envs = [];
});

async function open(): Promise<TempEngine> {
  const env = await openTempEngine({ embedder: hash, embeddingCache: false });
  envs.push(env);
  return env;
}

/**
 * A SQLite driver whose namespace stores can hold the result of their next read of stored vectors
 * (`getEmbeddings`) until released: the rebuild's first page is read, then writes land before it
 * arrives.
 */
function gatedDriver(dir: string) {
  let hold: Promise<void> | null = null;
  const driver = overrideStores(new SqliteDriver({ dir }), {
    async getEmbeddings(real, seqs) {
      const wait = hold;
      hold = null;
      const read = await real.getEmbeddings(seqs);
      if (wait) await wait;
      return read;
    },
  });
  return {
    driver,
    holdNextRead(): () => void {
      let release = () => {};
      hold = new Promise<void>((resolve) => {
        release = resolve;
      });
      return release;
    },
  };
}

/** The snapshot sidecar of the only namespace of `dir` (the graph parameters it was built with). */
function snapshotMeta(dir: string): { m?: number; efConstruction?: number } {
  const indexes = join(dir, "tenants", "default", "indexes");
  const [only] = readdirSync(indexes);
  return JSON.parse(readFileSync(join(indexes, only!, "vectors.json"), "utf8"));
}

const TEXTS = Array.from(
  { length: 40 },
  (_, i) => `note ${i}: the ${i % 2 ? "deploy" : "invoice"} item ${i}`,
);

async function seed(loci: Loci, ns: string) {
  await loci.memory.addMany({ namespace: ns, memories: TEXTS.map((content) => ({ content })) });
}

describe("namespace option vectorIndex", () => {
  it("defaults to M 16, efConstruction 100, efSearch 64, also for catalogs written before the option", async () => {
    const env = await open();
    const ns = await env.loci.namespace.create({ name: "plain" });
    expect(ns.config.vectorIndex).toEqual({ m: 16, efConstruction: 100, efSearch: 64 });
    await env.loci.close();

    const driver = new SqliteDriver({ dir: join(env.dataDir, "tenants", "default") });
    const { vectorIndex: _omitted, ...older } = DEFAULT_NAMESPACE_CONFIG;
    await driver.createNamespace({
      name: "older",
      description: "",
      config: older as typeof DEFAULT_NAMESPACE_CONFIG,
      createdAt: 1,
      updatedAt: 1,
    });
    await driver.close();
    const again = await env.reopen();
    expect((await again.namespace.get({ namespace: "older" })).config.vectorIndex).toEqual({
      m: 16,
      efConstruction: 100,
      efSearch: 64,
    });
    // Configuring it (any option) stores the full configuration.
    await again.memory.add({ namespace: "older", content: "a first memory" });
    const configured = await again.namespace.configure({ namespace: "older", maxMemories: 10 });
    expect(configured.config).toMatchObject({ maxMemories: 10, vectorIndex: { m: 16, efSearch: 64 } });
    await again.namespace.configure({ namespace: "older", vectorIndex: { efSearch: 100 } });
    expect((await again.namespace.get({ namespace: "older" })).config.vectorIndex.efSearch).toBe(100);
  });

  it("builds the graph with the namespace's parameters and reloads its snapshot only while they match", async () => {
    const env = await open();
    const dir = env.dataDir;
    const { loci } = env;
    const created = await loci.namespace.create({
      name: "dense",
      config: { vectorIndex: { m: 32, efConstruction: 200 } },
    });
    expect(created.config.vectorIndex).toEqual({ m: 32, efConstruction: 200, efSearch: 64 });
    await seed(loci, "dense");
    await loci.whenIndexed();
    await loci.close();
    expect(snapshotMeta(dir)).toMatchObject({ m: 32, efConstruction: 200 });

    // Same parameters: the snapshot is loaded, nothing waits for graph insertion.
    const same = await env.reopen();
    const hits = await same.memory.search({ namespace: "dense", query: "deploy item 7", mode: "vector" });
    expect(await same.indexBacklog()).toBe(0);
    await same.close();

    // Parameters that differ from the snapshot's (set here behind the engine's back): the old graph is
    // loaded and serves searches at once while the new one is built in the background.
    const driver = new SqliteDriver({ dir: join(dir, "tenants", "default") });
    const rec = (await driver.getNamespace("dense"))!;
    await driver.updateNamespace({
      ...rec,
      config: { ...rec.config, vectorIndex: { m: 24, efConstruction: 150, efSearch: 64 } },
    });
    await driver.close();
    const rebuilt = await env.reopen();
    const again = await rebuilt.memory.search({ namespace: "dense", query: "deploy item 7", mode: "vector" });
    expect(again.slice(0, 4).map((h) => h.memory.id)).toEqual(hits.slice(0, 4).map((h) => h.memory.id));
    expect(await rebuilt.indexBacklog()).toBe(0);
    expect(await rebuilt.graphRebuildBacklog()).toBe(TEXTS.length);
    await rebuilt.whenIndexed();
    expect(await rebuilt.graphRebuildBacklog()).toBe(0);
    // The swap writes the new graph's snapshot (in the background).
    await vi.waitFor(() => expect(snapshotMeta(dir)).toMatchObject({ m: 24, efConstruction: 150 }));
    await rebuilt.close();
    expect(snapshotMeta(dir)).toMatchObject({ m: 24, efConstruction: 150 });
  });

  it("rebuilds the graph online when m or efConstruction change, keeping every write made meanwhile", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "loci-rebuild-"));
    const { driver, holdNextRead } = gatedDriver(join(dataDir, "tenants", "default"));
    const loci = await Loci.open({ dataDir, storage: driver, embedder: hash, embeddingCache: false });
    envs.push({
      loci,
      dataDir,
      reopen: () => Promise.reject(new Error("unused")),
      cleanup: async () => {
        await loci.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    });
    await loci.namespace.create({ name: "ns" });
    // Before the first write the graph does not exist yet: the change is just recorded.
    const early = await loci.namespace.configure({ namespace: "ns", vectorIndex: { m: 24 } });
    expect(early.config.vectorIndex).toEqual({ m: 24, efConstruction: 100, efSearch: 64 });
    await seed(loci, "ns");
    await loci.whenIndexed();
    const before = await loci.memory.search({ namespace: "ns", query: "deploy item 9", mode: "vector" });

    // The rebuild reads its first page now; the page arrives after the writes below.
    const release = holdNextRead();
    const changed = await loci.namespace.configure({ namespace: "ns", vectorIndex: { efConstruction: 300 } });
    expect(changed.config.vectorIndex).toEqual({ m: 24, efConstruction: 300, efSearch: 64 });
    expect(await loci.graphRebuildBacklog()).toBe(TEXTS.length);
    // While the new graph is built: searches still answer, and writes and deletes reach both graphs
    // (the page read before them holds the deleted memory and the updated one's old vector).
    const during = await loci.memory.search({ namespace: "ns", query: "deploy item 9", mode: "vector" });
    expect(during.map((h) => h.memory.id)).toEqual(before.map((h) => h.memory.id));
    const added = await loci.memory.add({ namespace: "ns", content: "zebra migration notes" });
    const gone = before[0]!.memory.id;
    await loci.memory.delete({ namespace: "ns", id: gone });
    const updated = before[1]!.memory.id;
    await loci.memory.update({ namespace: "ns", id: updated, content: "quartz crystal inventory" });
    expect(await loci.graphRebuildBacklog()).toBeGreaterThanOrEqual(TEXTS.length);
    expect((await loci.namespace.get({ namespace: "ns" })).indexing.graphRebuildPending).toBe(
      await loci.graphRebuildBacklog(),
    );
    release();
    await loci.whenIndexed();
    expect(await loci.graphRebuildBacklog()).toBe(0);

    const top = async (query: string) =>
      (await loci.memory.search({ namespace: "ns", query, mode: "vector", limit: 1 }))[0]!.memory.id;
    expect(await top("zebra migration notes")).toBe(added.id);
    expect(await top("quartz crystal inventory")).toBe(updated);
    const after = await loci.memory.search({
      namespace: "ns",
      query: "deploy item 9",
      mode: "vector",
      limit: 50,
    });
    expect(after.map((h) => h.memory.id)).not.toContain(gone);
    expect(after).toHaveLength(TEXTS.length);
    await loci.close();
    expect(snapshotMeta(dataDir)).toMatchObject({ m: 24, efConstruction: 300 });
  });

  it("changing the parameters back, or again, while a rebuild runs ends with the last ones", async () => {
    const env = await open();
    const { loci } = env;
    await seed(loci, "ns");
    await loci.whenIndexed();
    await loci.namespace.configure({ namespace: "ns", vectorIndex: { m: 32 } });
    // Back to the graph in use: the rebuild stops, nothing is left to build.
    await loci.namespace.configure({ namespace: "ns", vectorIndex: { m: 16 } });
    expect(await loci.graphRebuildBacklog()).toBe(0);
    await loci.namespace.configure({ namespace: "ns", vectorIndex: { m: 32 } });
    await loci.namespace.configure({ namespace: "ns", vectorIndex: { m: 40, efSearch: 90 } });
    await loci.whenIndexed();
    await loci.close();
    expect(snapshotMeta(env.dataDir)).toMatchObject({ m: 40, efConstruction: 100 });
    // Closed mid-rebuild: the old graph's snapshot is loaded on open and the rebuild starts again.
    const again = await env.reopen();
    await again.namespace.configure({ namespace: "ns", vectorIndex: { efConstruction: 64 } });
    await again.close();
    expect(snapshotMeta(env.dataDir)).toMatchObject({ m: 40, efConstruction: 100 });
    const third = await env.reopen();
    expect(await third.memory.search({ namespace: "ns", query: "invoice", mode: "vector" })).not.toEqual([]);
    expect(await third.graphRebuildBacklog()).toBe(TEXTS.length);
    await third.whenIndexed();
    await vi.waitFor(() => expect(snapshotMeta(env.dataDir)).toMatchObject({ m: 40, efConstruction: 64 }));
  });

  it("applies a new efSearch to the open graph at once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loci-vector-index-"));
    const driver = new SqliteDriver({ dir });
    const record = {
      name: "ns",
      description: "",
      config: { ...DEFAULT_NAMESPACE_CONFIG, vectorIndex: { m: 16, efConstruction: 100, efSearch: 80 } },
      createdAt: 1,
      updatedAt: 1,
    };
    await driver.createNamespace(record);
    const rt = await NamespaceRuntime.open({ store: await driver.openNamespace("ns"), record });
    const vectors = rt.ensureVectors(8);
    // Tiny graphs are walked whole (beam ≥ their size); the configured beam is the floor.
    expect(vectors.beam(10)).toBe(80);
    rt.record = {
      ...record,
      config: { ...record.config, vectorIndex: { ...record.config.vectorIndex, efSearch: 200 } },
    };
    expect(vectors.beam(10)).toBe(200);
    await rt.close();
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("rejects parameters out of range, of the wrong type or unknown, with the field named", async () => {
    const { loci } = await open();
    const cases: [unknown, string][] = [
      [{ m: 3 }, "vectorIndex.m"],
      [{ m: 97 }, "vectorIndex.m"],
      [{ m: 16.5 }, "vectorIndex.m"],
      [{ efConstruction: 10 }, "vectorIndex.efConstruction"],
      [{ efSearch: "64" }, "vectorIndex.efSearch"],
      [{ efSearch: 5000 }, "vectorIndex.efSearch"],
      [{ beam: 64 }, "vectorIndex.beam"],
      [[16], "vectorIndex"],
      [null, "vectorIndex"],
    ];
    for (const [vectorIndex, field] of cases) {
      const err = await loci.namespace
        .create({ name: "bad", config: { vectorIndex } as never })
        .catch((e: unknown) => e);
      expect(err, JSON.stringify(vectorIndex)).toMatchObject({
        code: "INVALID_ARGUMENT",
        details: { field },
      });
    }
    // Nothing was created by a rejected call.
    expect((await loci.namespace.list()).items).toEqual([]);
  });
});
