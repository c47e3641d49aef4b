import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { HashEmbedder } from "./embed/hash.js";
import { LociError } from "./errors.js";
import { loadKeywordSnapshot } from "./index/bm25-snapshot.js";
import { loadSnapshot } from "./index/hnsw-snapshot.js";
import { ramScratchDir, snapshotKeyOf } from "./index/snapshot-cipher.js";
import { Loci } from "./loci.js";

const MARKER = "PLAINTEXT-CANARY-7f3a";
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

const open = (dataDir: string, extra: Partial<Parameters<typeof Loci.open>[0]> = {}) =>
  Loci.open({ dataDir, embedder: new HashEmbedder({ dimensions: 64 }), tenant: "acme", ...extra });

async function seed(loci: Loci): Promise<void> {
  await loci.session.create({ namespace: "secrets", id: "s1", metadata: { note: MARKER } });
  await loci.memory.addMany({
    namespace: "secrets",
    memories: Array.from({ length: 50 }, (_, i) => ({
      content: `${MARKER} customer record ${i}`,
      metadata: { canary: MARKER },
      sessionId: "s1",
      entities: [{ type: "company", name: `${MARKER} Corp` }],
    })),
  });
  await loci.knowledgeGraph.addEdge({
    namespace: "secrets",
    source: { type: "person", name: MARKER },
    target: { type: "company", name: `${MARKER} Corp` },
    edgeType: "works_at",
  });
}

describe("encryption at rest", () => {
  it("writes no plaintext anywhere in the data directory, WAL and indexes included", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "loci-enc-"));
    dirs.push(dataDir);
    const loci = await open(dataDir, { encryptionKey: randomBytes(32) });
    await seed(loci);
    // Scan while open (WAL not yet checkpointed) and after close.
    for (const phase of ["open", "closed"]) {
      if (phase === "closed") await loci.close();
      const all = files(dataDir);
      expect(all.some((f) => f.endsWith(".db"))).toBe(true);
      for (const f of all) expect(readFileSync(f).includes(MARKER), `${phase}: ${f}`).toBe(false);
      for (const f of all.filter((p) => p.endsWith(".db"))) {
        expect(readFileSync(f).subarray(0, 15).toString("latin1"), f).not.toBe("SQLite format 3");
      }
    }
    // The control: the same data without a key is readable on disk.
    const plainDir = mkdtempSync(join(tmpdir(), "loci-plain-"));
    dirs.push(plainDir);
    const plain = await open(plainDir);
    await seed(plain);
    await plain.close();
    expect(files(plainDir).some((f) => readFileSync(f).includes(MARKER))).toBe(true);
  });

  it("refuses a wrong or missing key with a clear error, and serves with the right one", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "loci-enc-"));
    dirs.push(dataDir);
    const key = randomBytes(32);
    const loci = await open(dataDir, { encryptionKey: key });
    await seed(loci);
    await loci.close();
    const wrong = await open(dataDir, { encryptionKey: randomBytes(32) }).catch((e) => e);
    expect(LociError.isInstance(wrong) && wrong.code).toBe("STORAGE_ERROR");
    expect(wrong.message).toContain("wrong encryption key");
    const none = await open(dataDir).catch((e) => e);
    expect(none.message).toContain("encrypted");
    const again = await open(dataDir, { encryptionKey: key });
    const hits = await again.memory.search({
      namespace: "secrets",
      query: "customer record 7",
      mode: "keyword",
      limit: 3,
    });
    expect(hits[0]!.memory.content).toBe(`${MARKER} customer record 7`);
    expect(
      (await again.memory.search({ namespace: "secrets", query: "customer record", mode: "vector" })).length,
    ).toBe(10);
    await again.close();
    await expect(open(dataDir, { encryptionKey: Buffer.alloc(16) })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });

  it("rotates the key while serving; an interrupted rotation heals on the next open", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "loci-enc-"));
    dirs.push(dataDir);
    const k1 = randomBytes(32);
    const k2 = randomBytes(32);
    const k3 = randomBytes(32);
    const loci = await open(dataDir, { encryptionKey: k1 });
    await seed(loci);
    await loci.memory.add({ namespace: "other", content: "second namespace" });
    await loci.rekey(k2);
    await loci.memory.add({ namespace: "secrets", content: "written after rotation" });
    await loci.close();
    await expect(open(dataDir, { encryptionKey: k1 })).rejects.toMatchObject({ code: "STORAGE_ERROR" });
    // A rotation to k3 that never ran: files are still under k2, the engine is given k3 first.
    const healing = await open(dataDir, { encryptionKey: k3, previousEncryptionKeys: [k2] });
    expect((await healing.memory.list({ namespace: "secrets", limit: 100 })).items).toHaveLength(51);
    expect((await healing.memory.list({ namespace: "other" })).items).toHaveLength(1);
    await healing.close();
    const healed = await open(dataDir, { encryptionKey: k3 });
    expect((await healed.namespace.list()).items.map((n) => n.name)).toEqual(["other", "secrets"]);
    await healed.close();
  });

  it("stores ANN snapshots encrypted, reopens from them, and rebuilds when the key changed", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "loci-enc-"));
    dirs.push(dataDir);
    const key = randomBytes(32);
    const embedder = new HashEmbedder({ dimensions: 64 });
    const loci = await open(dataDir, { encryptionKey: key });
    await seed(loci);
    await loci.whenIndexed();
    await loci.close();
    const snapshots = files(dataDir).filter((f) => f.endsWith("vectors.hnsw"));
    expect(snapshots).toHaveLength(1);
    // No stored vector appears in any file (in a plaintext tenant the snapshot holds them all).
    const [vector] = await embedder.embed([`${MARKER} customer record 3`]);
    const needle = Buffer.from(vector!.buffer, vector!.byteOffset, 16);
    for (const f of files(dataDir)) expect(readFileSync(f).includes(needle), f).toBe(false);
    // The keyword snapshot is encrypted too: none of the memories' index terms appears in a file.
    expect(files(dataDir).filter((f) => f.endsWith("keywords.bm25"))).toHaveLength(1);
    for (const term of ["canari\0", "plaintext\0", "7f3a\0"])
      for (const f of files(dataDir)) expect(readFileSync(f).includes(term), `${term} in ${f}`).toBe(false);
    const shm = () =>
      existsSync("/dev/shm") ? readdirSync("/dev/shm").filter((f) => f.startsWith("loci-ann-")) : [];
    expect(shm()).toEqual([]);
    // Reopened from the snapshot: nothing is re-inserted into the graph.
    const again = await open(dataDir, { encryptionKey: key });
    const hits = await again.memory.search({
      namespace: "secrets",
      query: "customer record 3",
      mode: "vector",
    });
    expect(hits[0]!.memory.content).toBe(`${MARKER} customer record 3`);
    expect(await again.indexBacklog()).toBe(0);
    await again.rekey(randomBytes(32).fill(7));
    await again.close();
    expect(shm()).toEqual([]);
    // After a rotation the old snapshot no longer decrypts: it is rebuilt from the database, same answers.
    const rotated = await open(dataDir, { encryptionKey: Buffer.alloc(32, 7) });
    const after = await rotated.memory.search({
      namespace: "secrets",
      query: "customer record 3",
      mode: "vector",
    });
    expect(after.map((h) => h.memory.id)).toEqual(hits.map((h) => h.memory.id));
    const keyword = await rotated.memory.search({
      namespace: "secrets",
      query: "canary record 3",
      mode: "keyword",
    });
    expect(keyword[0]!.memory.content).toBe(`${MARKER} customer record 3`);
    await rotated.close();
  });

  it("a key rotation leaves no index snapshot under the old key; open namespaces write new ones", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "loci-enc-"));
    dirs.push(dataDir);
    const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
    const before = await open(dataDir, { encryptionKey: oldKey });
    await seed(before);
    await before.whenIndexed();
    await before.close();
    const indexes = join(dataDir, "tenants", "acme", "indexes");
    const [dir] = readdirSync(indexes).map((d) => join(indexes, d));
    const readable = async (key: Buffer) => ({
      keyword: (await loadKeywordSnapshot({ dir: dir!, key: snapshotKeyOf(key) })) !== null,
      ann:
        (await loadSnapshot(dir!, {
          dimensions: 64,
          live: Array.from({ length: 50 }, (_, i) => i + 1),
          cipher: { key: snapshotKeyOf(key), scratchDir: ramScratchDir()! },
        })) !== null,
    });
    expect(await readable(oldKey)).toEqual({ keyword: true, ann: true });
    const loci = await open(dataDir, { encryptionKey: oldKey });
    try {
      await loci.memory.search({ namespace: "secrets", query: "customer record 3" }); // opens it
      await loci.rekey(newKey);
      expect(await readable(oldKey)).toEqual({ keyword: false, ann: false });
      // The open namespace writes both again, under the new key, without waiting for its next change.
      await vi.waitFor(async () => expect(await readable(newKey)).toEqual({ keyword: true, ann: true }), {
        timeout: 5_000,
      });
      expect(await readable(oldKey)).toEqual({ keyword: false, ann: false });
    } finally {
      await loci.close();
    }
    const after = await open(dataDir, { encryptionKey: newKey });
    const hits = await after.memory.search({
      namespace: "secrets",
      query: "customer record 3",
      mode: "keyword",
    });
    expect(hits[0]!.memory.content).toBe(`${MARKER} customer record 3`);
    expect(await after.indexBacklog()).toBe(0); // loaded from the new snapshot, nothing re-inserted
    await after.close();
  });
});
