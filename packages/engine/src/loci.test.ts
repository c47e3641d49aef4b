import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HashEmbedder } from "./embed/hash.js";
import { LociError } from "./errors.js";
import { Loci } from "./loci.js";
import { openTempEngine, type TempEngine } from "./testing/temp-engine.js";
import type { MemoryInput } from "./types.js";

let env: TempEngine;
afterEach(async () => env?.cleanup());

const FACTS: MemoryInput[] = [
  {
    content: "Acme Corp renews its contract in Q2 and is considering the enterprise plan",
    metadata: { customer_id: "cust_42" },
  },
  {
    content: "The billing system double charged customer cust_7 in March",
    metadata: { customer_id: "cust_7" },
  },
  { content: "Password reset emails are delayed by about ten minutes", metadata: { area: "auth" } },
];

async function seed(loci: Loci) {
  return loci.memory.addMany({ namespace: "support", memories: FACTS });
}

function snapshotFiles(dataDir: string): string[] {
  const root = join(dataDir, "tenants", "default", "indexes");
  return readdirSync(root).flatMap((d) => readdirSync(join(root, d)).map((f) => join(root, d, f)));
}

describe("Loci.open", () => {
  it("adds three memories and finds them with a score breakdown", async () => {
    env = await openTempEngine();
    const added = await seed(env.loci);
    expect(added.map((m) => m.content)).toEqual(FACTS.map((f) => f.content));
    const results = await env.loci.memory.search({
      namespace: "support",
      query: "enterprise plan renewal for Acme",
    });
    expect(results[0]!.memory.id).toBe(added[0]!.id);
    expect(results[0]!.namespace).toBe("support");
    const s = results[0]!.scores;
    for (const v of [s.vector, s.keyword, s.relevance, s.recency, s.retention, results[0]!.score]) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    expect(s.keyword).toBe(1);
    expect(s.retention).toBe(1);
    expect(results[0]!.score).toBeCloseTo(s.relevance, 10);
  });

  it("returns the same results after close and reopen, and after deleting the ANN snapshot", async () => {
    env = await openTempEngine();
    await seed(env.loci);
    const query = { namespace: "support", query: "customer charged twice", limit: 3 };
    const strip = (rs: Awaited<ReturnType<Loci["memory"]["search"]>>) =>
      rs.map((r) => ({ id: r.memory.id, score: r.score, content: r.memory.content }));
    const before = strip(await env.loci.memory.search(query));
    expect(before).toHaveLength(3);
    await env.reopen();
    expect(snapshotFiles(env.dataDir).some((f) => f.endsWith("vectors.hnsw"))).toBe(true);
    expect(strip(await env.loci.memory.search(query))).toEqual(before);
    await env.loci.close();
    for (const f of snapshotFiles(env.dataDir)) rmSync(f);
    await env.reopen();
    expect(strip(await env.loci.memory.search(query))).toEqual(before);
    expect((await env.loci.namespace.get({ namespace: "support" })).memoryCount).toBe(3);
  });

  it("rebuilds from the database when the snapshot is corrupt or stale", async () => {
    env = await openTempEngine();
    const [a] = await seed(env.loci);
    await env.reopen(); // snapshot now covers the three memories
    await env.loci.memory.update({
      namespace: "support",
      id: a!.id,
      content: "Zebra migration patterns in Kenya",
    });
    const added = await env.loci.memory.add({
      namespace: "support",
      content: "Quarterly zebra census results",
    });
    await env.loci.close();
    // Put the older snapshot back in place by corrupting the current one: a torn write.
    const hnsw = snapshotFiles(env.dataDir).find((f) => f.endsWith("vectors.hnsw"))!;
    writeFileSync(hnsw, "torn");
    env.loci = await Loci.open({ dataDir: env.dataDir, embedder: new HashEmbedder({ dimensions: 256 }) });
    const hits = await env.loci.memory.search({
      namespace: "support",
      query: "zebra",
      mode: "vector",
      limit: 2,
    });
    expect(hits.map((h) => h.memory.id).sort()).toEqual([a!.id, added.id].sort());
  });

  it("catches a stale snapshot up from the change log", async () => {
    env = await openTempEngine({ snapshotEvery: 3 });
    const first = await env.loci.memory.add({ namespace: "n", content: "alpha bravo" });
    await env.loci.memory.add({ namespace: "n", content: "charlie delta" });
    await env.loci.memory.add({ namespace: "n", content: "echo foxtrot" }); // snapshot written here (3 changes)
    // Changes after the snapshot, then a simulated crash: copy the files as they are on disk.
    await env.loci.memory.update({ namespace: "n", id: first.id, content: "zebra yankee" });
    const late = await env.loci.memory.add({ namespace: "n", content: "zebra xray" });
    const { cpSync, mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const copy = mkdtempSync(join(tmpdir(), "loci-crash-"));
    cpSync(env.dataDir, copy, { recursive: true });
    rmSync(join(copy, "tenants", "default", "LOCK"));
    const crashed = await Loci.open({ dataDir: copy, embedder: new HashEmbedder({ dimensions: 256 }) });
    try {
      const hits = await crashed.memory.search({ namespace: "n", query: "zebra", mode: "vector", limit: 2 });
      expect(hits.map((h) => h.memory.id).sort()).toEqual([first.id, late.id].sort());
      expect(hits.every((h) => h.scores.vector > 0.2)).toBe(true);
    } finally {
      await crashed.close();
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("does not use an ANN snapshot ahead of the database (a database restored from an older copy)", async () => {
    env = await openTempEngine();
    const [a] = await seed(env.loci);
    await env.loci.close();
    const hnsw = snapshotFiles(env.dataDir).find((f) => f.endsWith("vectors.hnsw"))!;
    const meta = hnsw.replace(/vectors\.hnsw$/, "vectors.json");
    const old = { hnsw: readFileSync(hnsw), meta: JSON.parse(readFileSync(meta, "utf8")) };
    await env.reopen();
    await env.loci.memory.update({
      namespace: "support",
      id: a!.id,
      content: "Zebra migration patterns in Kenya",
    });
    await env.loci.close();
    // The older graph (a's old vector), claiming a generation the database never reached.
    writeFileSync(hnsw, old.hnsw);
    writeFileSync(meta, JSON.stringify({ ...old.meta, generation: 1_000_000 }));
    env.loci = await Loci.open({ dataDir: env.dataDir, embedder: new HashEmbedder({ dimensions: 256 }) });
    const [top] = await env.loci.memory.search({
      namespace: "support",
      query: "zebra migration",
      mode: "vector",
    });
    expect(top!.memory.id).toBe(a!.id);
    // Dropped and rebuilt from the stored vectors (a loaded one would stay on disk as it is until close).
    const claimed = existsSync(meta)
      ? (JSON.parse(readFileSync(meta, "utf8")) as { generation: number })
      : null;
    expect(claimed?.generation ?? 0).toBeLessThan(1_000_000);
  });

  it("keeps two live engines off one data directory", async () => {
    env = await openTempEngine();
    const err = await Loci.open({ dataDir: env.dataDir, embedder: new HashEmbedder() }).catch((e) => e);
    expect(LociError.isInstance(err) && err.code).toBe("DATA_DIR_LOCKED");
  });

  it("fails every call with CLOSED after close", async () => {
    env = await openTempEngine();
    await seed(env.loci);
    await env.loci.close();
    const err = await env.loci.memory.search({ namespace: "support", query: "x" }).catch((e) => e);
    expect(err.code).toBe("CLOSED");
    env.loci = await Loci.open({ dataDir: env.dataDir, embedder: new HashEmbedder({ dimensions: 256 }) });
  });

  it("records the embedding model and refuses to mix another one in", async () => {
    env = await openTempEngine();
    await seed(env.loci);
    const ns = await env.loci.namespace.get({ namespace: "support" });
    expect(ns.config.embedding).toEqual({ model: new HashEmbedder({ dimensions: 256 }).id, dimensions: 256 });
    await env.reopen({ embedder: new HashEmbedder({ dimensions: 128 }) });
    const add = await env.loci.memory.add({ namespace: "support", content: "x" }).catch((e) => e);
    expect(add.code).toBe("EMBEDDING_MISMATCH");
    const search = await env.loci.memory.search({ namespace: "support", query: "billing" }).catch((e) => e);
    expect(search.code).toBe("EMBEDDING_MISMATCH");
    const keyword = await env.loci.memory.search({ namespace: "support", query: "billing", mode: "keyword" });
    expect(keyword).toHaveLength(1);
    expect(existsSync(join(env.dataDir, "tenants", "default", "catalog.db"))).toBe(true);
  });
});
