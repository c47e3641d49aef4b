import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FunctionEmbedder } from "../embed/function.js";
import { HashEmbedder } from "../embed/hash.js";
import { EmbedderError } from "../errors.js";
import { Loci } from "../loci.js";
import { newRecord } from "../storage/records.case.js";
import { SqliteDriver } from "../storage/sqlite.js";
import type { BackgroundFailure } from "./background-failures.js";
import { DEFAULT_NAMESPACE_CONFIG } from "./convert.js";
import { NamespaceRuntime } from "./namespace-runtime.js";
import { SentenceBackfill } from "./sentence-backfill.js";

const hash = new HashEmbedder({ dimensions: 128 });
const MANY = [
  "Kim: The offsite agenda is done. Flights to Lisbon are booked. I ordered the espresso grinder.",
  "Ana: The deploy failed twice. The fix is in review.",
  "Raj: Billing moved to the new provider. Invoices go out on the first.",
];
const ONE = "Kim: the espresso machine is loud";

let dirs: string[] = [];
let engines: Loci[] = [];
afterEach(async () => {
  for (const loci of engines) await loci.close().catch(() => undefined);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
  engines = [];
});

/** An engine over SQLite in `dir` (a new temp dir unless given), with the driver handle to inspect it. */
async function open(
  opts: { dir?: string; embedder?: FunctionEmbedder | HashEmbedder; failures?: BackgroundFailure[] } = {},
) {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "loci-backfill-"));
  if (!opts.dir) dirs.push(dir);
  const driver = new SqliteDriver({ dir: join(dir, "store") });
  const loci = await Loci.open({
    dataDir: dir,
    storage: driver,
    embedder: opts.embedder ?? hash,
    embeddingCache: false,
    ...(opts.failures ? { onBackgroundError: (f: BackgroundFailure) => opts.failures!.push(f) } : {}),
  });
  engines.push(loci);
  const sentences = async (ns: string, ids: string[]) => {
    const store = await driver.openNamespace(ns);
    const seqs = (await store.get(ids)).map((r) => r.seq);
    const got = await store.getSentenceEmbeddings(seqs);
    return seqs.map((s) => got.get(s)?.length ?? 0);
  };
  return { dir, driver, loci, sentences };
}

/** Adds `MANY` and `ONE` to a namespace; returns their ids. */
async function seed(loci: Loci, ns: string, config: { sentenceVectors: boolean }) {
  await loci.namespace.create({ name: ns, config });
  const added = await loci.memory.addMany({
    namespace: ns,
    memories: [...MANY, ONE].map((content) => ({ content })),
  });
  return added.map((m) => m.id);
}

describe("sentence-vector backfill", () => {
  it("gives memories stored before the option was turned on the vectors a write would have", async () => {
    const { loci, sentences } = await open();
    const fresh = await seed(loci, "fresh", { sentenceVectors: true });
    const later = await seed(loci, "later", { sentenceVectors: false });
    const own = await loci.memory.add({
      namespace: "later",
      content: MANY[0]!,
      embedding: (await hash.embed(["something else entirely"]))[0]!,
    });
    expect(await sentences("later", later)).toEqual([0, 0, 0, 0]);

    await loci.namespace.configure({ namespace: "later", sentenceVectors: true });
    await loci.whenIndexed();
    // 3 sentences each for the multi-sentence memories (label kept on each), none for one sentence.
    expect(await sentences("fresh", fresh)).toEqual([3, 2, 2, 0]);
    expect(await sentences("later", later)).toEqual([3, 2, 2, 0]);
    // A caller's own embedding gets no engine sentence vectors, as at insert.
    expect(await sentences("later", [own.id])).toEqual([0]);

    // Searches now score the two namespaces' memories alike.
    for (const query of ["which espresso grinder did Kim order", "when do invoices go out"]) {
      const scores = async (ns: string) =>
        (await loci.memory.search({ namespace: ns, query, mode: "vector", limit: 4 }))
          .filter((h) => h.memory.id !== own.id)
          .map((h) => [h.memory.content, h.scores.vector.toFixed(6)]);
      expect(await scores("later")).toEqual(await scores("fresh"));
    }
    // No change-log entries, so no events and the namespace's memories are unchanged.
    const listed = await loci.memory.list({ namespace: "later" });
    expect(listed.items.every((m) => m.updatedAt === m.createdAt)).toBe(true);
  });

  it("resumes from its stored progress after a restart and finishes by clearing it", async () => {
    const first = await open();
    const ids = await seed(first.loci, "ns", { sentenceVectors: true });
    const store = await first.driver.openNamespace("ns");
    const seqs = (await store.get(ids)).map((r) => r.seq);
    await first.loci.close();

    // What a crash left: the first memory done, the rest pending (their vectors are gone).
    const driver = new SqliteDriver({ dir: join(first.dir, "store") });
    const raw = await driver.openNamespace("ns");
    for (const id of ids.slice(1)) await raw.update(id, { updatedAt: 5, sentenceEmbeddings: [] });
    await raw.update(ids[0]!, { updatedAt: 5, sentenceEmbeddings: [] });
    await raw.setSentenceBackfill({ after: seqs[0]!, through: seqs[2]! });
    await driver.close();

    const again = await open({ dir: first.dir });
    // The engine opens the namespace at startup to resume it: nothing has to use it first.
    await vi.waitFor(async () => expect(await again.sentences("ns", ids)).toEqual([0, 2, 2, 0]), {
      timeout: 5_000,
    });
    // whenIndexed() over the open namespaces includes it.
    await again.loci.whenIndexed();
    // Seq 1 was "done", seq 4 (one sentence) is past `through`; the other two were filled.
    expect(await again.sentences("ns", ids)).toEqual([0, 2, 2, 0]);
    expect(await (await again.driver.openNamespace("ns")).sentenceBackfill()).toBeNull();
  });

  it("drops the engine's sentence vectors when a memory gets the caller's own embedding", async () => {
    const { loci, sentences } = await open();
    const [id] = await seed(loci, "ns", { sentenceVectors: true });
    expect(await sentences("ns", [id!])).toEqual([3]);
    await loci.memory.update({ namespace: "ns", id: id!, embedding: (await hash.embed(["other"]))[0]! });
    expect(await sentences("ns", [id!])).toEqual([0]);
    await loci.namespace.configure({ namespace: "ns", sentenceVectors: false });
    await loci.namespace.configure({ namespace: "ns", sentenceVectors: true });
    await loci.whenIndexed();
    // The backfill recognises the caller's vector and leaves it without.
    expect(await sentences("ns", [id!])).toEqual([0]);
  });

  it("keeps the stored vectors while the option is off, so turning it on again embeds only what changed", async () => {
    const embedded: string[] = [];
    let hold: Promise<void> | null = null;
    const counting = new FunctionEmbedder({
      id: hash.id,
      dimensions: hash.dimensions,
      embed: async (texts) => {
        if (hold) await hold;
        embedded.push(...texts);
        return hash.embed(texts);
      },
    });
    const { loci, sentences } = await open({ embedder: counting });
    const [kept, changed] = await seed(loci, "ns", { sentenceVectors: true });
    await loci.namespace.configure({ namespace: "ns", sentenceVectors: false });
    // While off: one memory's content changes (it loses its sentence vectors), one is added.
    await loci.memory.update({
      namespace: "ns",
      id: changed!,
      content: "Ana: The fix shipped. Nobody noticed.",
    });
    const added = await loci.memory.add({
      namespace: "ns",
      content: "Raj: Lunch is at noon. Bring a jacket.",
    });
    expect(await sentences("ns", [kept!, changed!, added.id])).toEqual([3, 0, 0]);

    embedded.length = 0;
    let release = () => {};
    hold = new Promise((resolve) => {
      release = resolve;
    });
    await loci.namespace.configure({ namespace: "ns", sentenceVectors: true });
    // namespace.get reports the backfill while it runs.
    expect((await loci.namespace.get({ namespace: "ns" })).indexing.sentenceBackfillPending).toBeGreaterThan(
      0,
    );
    hold = null;
    release();
    await loci.whenIndexed();
    expect((await loci.namespace.get({ namespace: "ns" })).indexing).toEqual({
      pendingVectors: 0,
      graphRebuildPending: 0,
      sentenceBackfillPending: 0,
    });
    expect(await sentences("ns", [kept!, changed!, added.id])).toEqual([3, 2, 2]);
    // Only the two memories without vectors were embedded (whole text for the check, then sentences).
    expect(embedded.some((t) => t.includes("offsite agenda"))).toBe(false);
    expect(embedded).toHaveLength(2 + 2 + 2);
  });

  it("leaves a memory updated while its page was being embedded to that update", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let armed = false;
    let gated = false;
    const slow = new FunctionEmbedder({
      id: hash.id,
      dimensions: hash.dimensions,
      normalize: false,
      embed: async (texts) => {
        // The backfill's first call waits until the test lets it go.
        if (armed && !gated) {
          gated = true;
          await gate;
        }
        return hash.embed(texts);
      },
    });
    const { loci, sentences } = await open({ embedder: slow });
    const ids = await seed(loci, "ns", { sentenceVectors: false });
    armed = true;
    await loci.namespace.configure({ namespace: "ns", sentenceVectors: true });
    await vi.waitFor(() => expect(gated).toBe(true));
    // While the page is embedded: one memory gets new text of one sentence (no vectors), one is deleted.
    await loci.memory.update({ namespace: "ns", id: ids[0]!, content: "Kim: one sentence now" });
    await loci.memory.delete({ namespace: "ns", id: ids[1]! });
    release();
    await loci.whenIndexed();
    expect(await sentences("ns", [ids[0]!, ids[2]!, ids[3]!])).toEqual([0, 2, 0]);
    expect((await loci.memory.get({ namespace: "ns", id: ids[0]! })).content).toBe("Kim: one sentence now");
  });

  it("stops when its namespace is deleted or the engine closes mid-page, without an error", async () => {
    let armed = false;
    const waiting: (() => void)[] = [];
    const slow = new FunctionEmbedder({
      id: hash.id,
      dimensions: hash.dimensions,
      normalize: false,
      embed: async (texts, { signal }) => {
        if (armed) {
          // Held until aborted: only the backfill's abort ends this call.
          await new Promise<void>((resolve, reject) => {
            waiting.push(resolve);
            signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
          });
        }
        return hash.embed(texts);
      },
    });
    const { loci } = await open({ embedder: slow });
    await seed(loci, "gone", { sentenceVectors: false });
    await seed(loci, "open", { sentenceVectors: false });
    armed = true;
    await loci.namespace.configure({ namespace: "gone", sentenceVectors: true });
    await vi.waitFor(() => expect(waiting).toHaveLength(1));
    expect(await loci.namespace.delete({ namespace: "gone" })).toBe(true);
    await expect(loci.whenIndexed()).resolves.toBeUndefined();
    expect((await loci.namespace.list()).items.map((n) => n.name)).toEqual(["open"]);

    await loci.namespace.configure({ namespace: "open", sentenceVectors: true });
    await vi.waitFor(() => expect(waiting).toHaveLength(2));
    await loci.close(); // aborts the held call
  });

  it("reports a failed run (whenIndexed, onBackgroundError), keeps its progress and resumes on the next open", async () => {
    const failing = new FunctionEmbedder({
      id: hash.id,
      dimensions: hash.dimensions,
      normalize: false,
      // Writes embed one text here; the backfill embeds whole texts with their sentences.
      embed: async (texts) => {
        if (texts.length > 1) throw new EmbedderError({ message: "provider unavailable" });
        return hash.embed(texts);
      },
    });
    const failures: BackgroundFailure[] = [];
    const first = await open({ embedder: failing, failures });
    await first.loci.namespace.create({ name: "ns" });
    const ids: string[] = [];
    for (const content of MANY) ids.push((await first.loci.memory.add({ namespace: "ns", content })).id);
    await first.loci.namespace.configure({ namespace: "ns", sentenceVectors: true });
    await expect(first.loci.whenIndexed()).rejects.toMatchObject({ code: "EMBEDDER_FAILED" });
    expect(failures).toEqual([
      {
        work: "sentence-backfill",
        namespace: "ns",
        error: expect.objectContaining({ code: "EMBEDDER_FAILED" }),
        retryInMs: 30_000,
      },
    ]);
    expect(await (await first.driver.openNamespace("ns")).sentenceBackfill()).not.toBeNull();
    expect(await first.loci.sentenceBackfillBacklog()).toBe(3);
    await first.loci.close();

    const again = await open({ dir: first.dir });
    await again.loci.memory.list({ namespace: "ns" });
    await again.loci.whenIndexed();
    await expect(again.loci.whenIndexed({ namespace: "missing" })).rejects.toMatchObject({
      code: "NAMESPACE_NOT_FOUND",
    });
    expect(await again.sentences("ns", ids)).toEqual([3, 2, 2]);
    expect(await again.loci.sentenceBackfillBacklog()).toBe(0);
  });

  it("retries a failed run after retryMs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loci-backfill-"));
    dirs.push(dir);
    let failures = 1;
    const flaky = new FunctionEmbedder({
      id: hash.id,
      dimensions: hash.dimensions,
      normalize: false,
      embed: async (texts) => {
        if (failures-- > 0) throw new EmbedderError({ message: "provider unavailable" });
        return hash.embed(texts);
      },
    });
    const driver = new SqliteDriver({ dir });
    const record = {
      name: "ns",
      description: "",
      config: { ...DEFAULT_NAMESPACE_CONFIG, sentenceVectors: true },
      createdAt: 1,
      updatedAt: 1,
    };
    await driver.createNamespace(record);
    const store = await driver.openNamespace("ns");
    const [content] = MANY;
    const [embedding] = await hash.embed([content!]);
    const { inserted } = await store.insert([
      { ...newRecord("m", { content: content!, embedding: embedding! }) },
    ]);
    await store.setSentenceBackfill({ after: 0, through: inserted[0]!.seq });
    const rt = await NamespaceRuntime.open({ store, record });
    const backfill = new SentenceBackfill({ rt, embedder: flaky, now: () => 2, holder: "test", retryMs: 10 });
    try {
      backfill.start();
      await expect(backfill.whenDone()).rejects.toMatchObject({ code: "EMBEDDER_FAILED" });
      await vi.waitFor(async () => expect(await store.sentenceBackfill()).toBeNull(), { timeout: 5_000 });
      await backfill.whenDone();
      expect(backfill.filled).toBe(1);
      expect((await store.getSentenceEmbeddings([inserted[0]!.seq])).get(inserted[0]!.seq)).toHaveLength(3);
    } finally {
      await backfill.stop();
      await rt.close();
      await driver.close();
    }
  });
});
