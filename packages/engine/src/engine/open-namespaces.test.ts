import { mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Embedder } from "../embed/embedder.js";
import { FunctionEmbedder } from "../embed/function.js";
import { HashEmbedder } from "../embed/hash.js";
import type { Loci, LociOptions } from "../loci.js";
import { SqliteDriver } from "../storage/sqlite.js";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";
import type { BackgroundFailure } from "./background-failures.js";

const hash = new HashEmbedder({ dimensions: 32 });
let envs: TempEngine[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const env of envs) await env.cleanup();
  envs = [];
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** An engine over a SQLite driver that logs which namespaces it was asked to release. */
async function open(maxOpenNamespaces: number, embedder: Embedder = hash, extra: Partial<LociOptions> = {}) {
  const storeDir = mkdtempSync(join(tmpdir(), "loci-open-"));
  dirs.push(storeDir);
  const storage = new SqliteDriver({ dir: storeDir });
  const released: string[] = [];
  const release = storage.releaseNamespace.bind(storage);
  storage.releaseNamespace = (name) => {
    released.push(name);
    return release(name);
  };
  const failures: BackgroundFailure[] = [];
  const env = await openTempEngine({
    embedder,
    embeddingCache: false,
    maxOpenNamespaces,
    storage,
    onBackgroundError: (f) => failures.push(f),
    ...extra,
  });
  envs.push(env);
  return { ...env, loci: env.loci, storeDir, released, failures };
}

/** Namespace database files of `dataDir` this process holds open (SQLite and the checkpoint worker). */
function openDbFiles(dataDir: string): Set<string> {
  const out = new Set<string>();
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dataDir) && target.includes("/namespaces/"))
        out.add(target.replace(/-(wal|shm)$/, ""));
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

const add = (loci: Loci, namespace: string, content: string) => loci.memory.add({ namespace, content });

describe("maxOpenNamespaces", () => {
  it("closes the least recently used idle namespace beyond the bound, releasing its file, and reopens it on use", async () => {
    const { loci, storeDir, released } = await open(2);
    for (const ns of ["a", "b", "c"]) {
      await add(loci, ns, `first note of ${ns}`);
      await loci.whenIndexed({ namespace: ns });
    }
    // Adding to c closed a (used least recently): its snapshot written, its file no longer open.
    await vi.waitFor(() => expect(loci.openNamespaceCount()).toBe(2));
    await vi.waitFor(() => expect(openDbFiles(storeDir).size).toBe(2));
    expect(released).toEqual(["a"]);
    // b is used again, then a reopens: c is now the least recently used.
    await loci.memory.list({ namespace: "b" });
    const [hit] = await loci.memory.search({ namespace: "a", query: "first note of a", mode: "vector" });
    expect(hit?.memory.content).toBe("first note of a");
    await add(loci, "a", "second note of a");
    await vi.waitFor(() => expect(released).toEqual(["a", "c"]));
    expect(loci.openNamespaceCount()).toBe(2);
    expect((await loci.namespace.list()).items.map((n) => [n.name, n.memoryCount])).toEqual([
      ["a", 2],
      ["b", 1],
      ["c", 1],
    ]);
    // Everything survives a restart as well.
    const again = await envs[0]!.reopen({ storage: new SqliteDriver({ dir: storeDir }) });
    expect((await again.memory.list({ namespace: "a" })).items.map((m) => m.content)).toEqual([
      "first note of a",
      "second note of a",
    ]);
  });

  it("never closes a namespace under an operation, nor one with event subscribers", async () => {
    let hold: (() => void) | null = null;
    const held = new FunctionEmbedder({
      id: hash.id,
      dimensions: hash.dimensions,
      normalize: false,
      embed: async (texts) => {
        if (texts[0] === "held query") await new Promise<void>((resolve) => (hold = resolve));
        return hash.embed(texts);
      },
    });
    const { loci, released } = await open(1, held);
    await add(loci, "slow", "a note in slow");
    await loci.whenIndexed();
    // A search on "slow" waits for its query's embedding while other namespaces open.
    const search = loci.memory.search({ namespace: "slow", query: "held query", mode: "vector" });
    await vi.waitFor(() => expect(hold).not.toBeNull());
    // "other" opens beyond the bound; "slow" is the least recently used, but in use: "other" closes.
    await add(loci, "other", "a note in other");
    await loci.whenIndexed({ namespace: "other" });
    await vi.waitFor(() => expect(released).toEqual(["other"]));
    expect(loci.openNamespaceCount()).toBe(1);
    hold!();
    expect((await search).map((r) => r.memory.content)).toEqual(["a note in slow"]);
    expect((await loci.memory.list({ namespace: "other" })).items.map((m) => m.content)).toEqual([
      "a note in other",
    ]);

    released.length = 0;
    await loci.namespace.create({ name: "watched" });
    const seen: string[] = [];
    const sub = await loci.events.subscribe({ namespace: "watched", types: ["memory.added"] }, (e) => {
      seen.push(e.id);
    });
    for (const ns of ["watched", "x", "y"]) {
      await add(loci, ns, `note in ${ns}`);
      await loci.whenIndexed({ namespace: ns });
    }
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    // "watched" stays open for its subscriber (the least recently used); the others close as they go idle.
    // (Closes run concurrently: they may finish in another order than they started.)
    await vi.waitFor(() => expect([...released].sort()).toEqual(["other", "slow", "x", "y"]));
    expect(loci.openNamespaceCount()).toBe(1);
    await add(loci, "watched", "another note in watched");
    await vi.waitFor(() => expect(seen).toHaveLength(2));
    sub.unsubscribe();
  });

  it("serves many concurrent operations over more namespaces than the bound, losing nothing", async () => {
    const { loci } = await open(2);
    const names = Array.from({ length: 8 }, (_, i) => `ns${i}`);
    await Promise.all(
      names.flatMap((ns) =>
        Array.from({ length: 5 }, (_, j) =>
          add(loci, ns, `note ${j} of ${ns}`).then(() =>
            loci.memory.search({ namespace: ns, query: `note ${j} of ${ns}`, limit: 1 }),
          ),
        ),
      ),
    );
    await loci.whenIndexed();
    const counts = await Promise.all(
      names.map(async (ns) => (await loci.memory.list({ namespace: ns, limit: 100 })).items.length),
    );
    expect(counts).toEqual(names.map(() => 5));
    const hits = await loci.memory.search({ namespaces: names, query: "note 3 of ns6", limit: 1 });
    expect(hits[0]?.memory.content).toBe("note 3 of ns6");
    await vi.waitFor(() => expect(loci.openNamespaceCount()).toBeLessThanOrEqual(2));
    // The sweep of every namespace stays within the bound too.
    expect(await loci.sweepExpired({ all: true })).toBe(0);
    await vi.waitFor(() => expect(loci.openNamespaceCount()).toBeLessThanOrEqual(2));
  });

  it("closes a namespace beyond the bound once its background graph insertion catches up", async () => {
    const { loci, released } = await open(1);
    for (const from of [0, 1000]) {
      await loci.memory.addMany({
        namespace: "big",
        memories: Array.from({ length: 1000 }, (_, i) => ({ content: `bulk note ${from + i}` })),
      });
    }
    await add(loci, "small", "one note");
    // Both still have vectors to insert into their graphs: over the bound, nothing closed yet.
    expect(loci.openNamespaceCount()).toBe(2);
    // No further operation: a catch-up itself closes an idle one ("small" catches up first, while "big"
    // still has vectors to insert).
    await vi.waitFor(() => expect(released).toEqual(["small"]), { timeout: 10_000 });
    expect(loci.openNamespaceCount()).toBe(1);
    expect((await loci.memory.list({ namespace: "big", limit: 1 })).items).toHaveLength(1);
  });

  it("deletes a namespace that is being closed to stay within the bound, leaving nothing behind", async () => {
    const { loci, storeDir, failures } = await open(1);
    await loci.memory.addMany({
      namespace: "gone",
      memories: Array.from({ length: 50 }, (_, i) => ({ content: `note ${i}` })),
    });
    await loci.whenIndexed();
    await add(loci, "kept", "a note in kept"); // "gone" starts closing (writing its snapshot)
    expect(await loci.namespace.delete({ namespace: "gone" })).toBe(true);
    // Its snapshot directory is gone too ("kept" has written none yet).
    expect(readdirSync(join(storeDir, "indexes"))).toEqual([]);
    expect((await loci.namespace.list()).items.map((n) => n.name)).toEqual(["kept"]);
    await expect(loci.memory.list({ namespace: "gone" })).rejects.toMatchObject({
      code: "NAMESPACE_NOT_FOUND",
    });
    expect(failures).toEqual([]);
  });

  it("rejects a bound that is not a positive integer", async () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      await expect(openTempEngine({ maxOpenNamespaces: bad })).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
        details: { field: "maxOpenNamespaces" },
      });
      await expect(openTempEngine({ maxOpenMemories: bad })).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
        details: { field: "maxOpenMemories" },
      });
    }
  });

  it("closes the least recently used idle namespaces while the open ones hold more than maxOpenMemories", async () => {
    const { loci, released } = await open(100, hash, { maxOpenMemories: 250 });
    const fill = async (ns: string, n: number) => {
      await loci.memory.addMany({
        namespace: ns,
        memories: Array.from({ length: n }, (_, i) => ({ content: `note ${i} of ${ns}` })),
      });
      await loci.whenIndexed({ namespace: ns });
    };
    await fill("a", 100);
    await fill("b", 100);
    expect(released).toEqual([]); // 200 memories open
    await fill("c", 100); // 300 > 250: a, the least recently used, closes
    await vi.waitFor(() => expect(released).toEqual(["a"]));
    expect(loci.openNamespaceCount()).toBe(2);
    // One namespace larger than the bound closes the others, and stays open itself.
    await fill("big", 300);
    // (Both close at once; which one's file is released first depends on their snapshot writes.)
    await vi.waitFor(() => expect([released[0], ...released.slice(1).sort()]).toEqual(["a", "b", "c"]));
    expect(loci.openNamespaceCount()).toBe(1);
    // What was closed opens again on use, whole.
    const [hit] = await loci.memory.search({ namespace: "a", query: "note 7 of a", mode: "keyword" });
    expect(hit?.memory.content).toBe("note 7 of a");
    expect((await loci.namespace.get({ namespace: "a" })).memoryCount).toBe(100);
  });
});
