import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runStorageDriverSuite } from "./driver.case.js";
import { createNamespace, newRecord } from "./records.case.js";
import { SqliteDriver } from "./sqlite.js";

describe("SqliteDriver", () => {
  runStorageDriverSuite({
    setup: async () => {
      const dir = mkdtempSync(join(tmpdir(), "loci-sqlite-"));
      return {
        open: () => new SqliteDriver({ dir }),
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  });

  it("runs in WAL mode with synchronous=FULL and names files by id, not by namespace name", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loci-sqlite-"));
    const driver = new SqliteDriver({ dir });
    await createNamespace(driver, "team-shared");
    const store = (await driver.openNamespace("team-shared")) as unknown as {
      database: { pragma: (s: string, o: object) => unknown };
    };
    expect(store.database.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(store.database.pragma("synchronous", { simple: true })).toBe(2);
    expect(store.database.pragma("cache_size", { simple: true })).toBe(-64 * 1024);
    const files = readdirSync(join(dir, "namespaces"));
    expect(files.some((f) => f.includes("team-shared"))).toBe(false);
    expect(files.some((f) => /^[0-9a-f-]{36}\.db$/.test(f))).toBe(true);
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sizes each database's page cache as configured and refuses a bad size", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loci-sqlite-"));
    const driver = new SqliteDriver({ dir, pageCacheMiB: 8 });
    await createNamespace(driver, "small");
    const store = (await driver.openNamespace("small")) as unknown as {
      database: { pragma: (s: string, o: object) => unknown };
    };
    expect(store.database.pragma("cache_size", { simple: true })).toBe(-8 * 1024);
    await driver.close();
    for (const pageCacheMiB of [0, -1, Number.NaN]) {
      expect(() => new SqliteDriver({ dir, pageCacheMiB })).toThrow(/pageCacheMiB/);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("adds the sentence_vectors table to a namespace file written before it existed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loci-sqlite-"));
    let driver = new SqliteDriver({ dir });
    await createNamespace(driver, "old");
    const old = await driver.openNamespace("old");
    const { inserted } = await old.insert([newRecord("m1", { content: "kept" })]);
    (old as unknown as { database: { exec: (sql: string) => void } }).database.exec(
      "DROP TABLE sentence_vectors",
    );
    await driver.close();
    driver = new SqliteDriver({ dir });
    const store = await driver.openNamespace("old");
    expect((await store.get(["m1"])).map((r) => r.content)).toEqual(["kept"]);
    await store.update("m1", { updatedAt: 2, sentenceEmbeddings: [Float32Array.from([0, 1])] });
    expect((await store.getSentenceEmbeddings([inserted[0]!.seq])).get(inserted[0]!.seq)).toEqual([
      Float32Array.from([0, 1]),
    ]);
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("indexes the removals of a namespace file written before the removals index existed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loci-sqlite-"));
    let driver = new SqliteDriver({ dir });
    await createNamespace(driver, "old");
    const old = await driver.openNamespace("old");
    await old.insert([newRecord("m1"), newRecord("m2")]);
    await old.delete(["m1"], 5);
    const db = (s: unknown) =>
      (s as { database: { exec: (sql: string) => void; prepare: (sql: string) => { all: () => unknown[] } } })
        .database;
    db(old).exec("DROP INDEX changes_removals");
    await driver.close();
    driver = new SqliteDriver({ dir });
    const store = await driver.openNamespace("old");
    expect(
      db(store).prepare("SELECT name FROM sqlite_master WHERE name = 'changes_removals'").all(),
    ).toHaveLength(1);
    expect(await store.removals(["m1", "m2"])).toEqual(new Map([["m1", { type: "memory.deleted", at: 5 }]]));
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("moves vectors out of the memories table of a namespace file written before the split", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loci-sqlite-"));
    let driver = new SqliteDriver({ dir });
    await createNamespace(driver, "old");
    const store = await driver.openNamespace("old");
    const { inserted } = await store.insert(
      [1, 2, 3].map((i) => newRecord(`m${i}`, { content: `c${i}`, embedding: Float32Array.from([i, -i]) })),
    );
    // The layout before the split: vectors in memories.embedding, no memory_vectors table.
    (store as unknown as { database: { exec: (sql: string) => void } }).database.exec(`
      ALTER TABLE memories ADD COLUMN embedding BLOB;
      UPDATE memories SET embedding = (SELECT embedding FROM memory_vectors v WHERE v.seq = memories.seq);
      DROP TABLE memory_vectors;`);
    await driver.close();
    driver = new SqliteDriver({ dir });
    const reopened = await driver.openNamespace("old");
    const seqs = inserted.map((r) => r.seq);
    expect([...(await reopened.getEmbeddings(seqs)).values()]).toEqual(
      [1, 2, 3].map((i) => Float32Array.from([i, -i])),
    );
    const scanned = await reopened.scan({ limit: 10, withEmbeddings: true });
    expect(scanned.map((r) => [r.content, r.embedding])).toEqual(
      [1, 2, 3].map((i) => [`c${i}`, Float32Array.from([i, -i])]),
    );
    const db = (
      reopened as unknown as { database: { prepare: (s: string) => { all: () => { name: string }[] } } }
    ).database;
    expect(
      db
        .prepare("PRAGMA table_info(memories)")
        .all()
        .map((c) => c.name),
    ).not.toContain("embedding");
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps its memory count right through inserts, evictions, deletes and failed writes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loci-sqlite-"));
    let driver = new SqliteDriver({ dir });
    await createNamespace(driver, "n");
    const store = await driver.openNamespace("n");
    const memory = (id: string) => newRecord(id);
    await store.insert(["a", "b", "c"].map(memory));
    expect(await store.count()).toBe(3);
    await store.insert([memory("d")], { evict: ["a", "b", "missing"] });
    expect(await store.count()).toBe(2);
    await expect(store.insert([memory("e"), memory("c")])).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
    expect(await store.count()).toBe(2);
    await store.delete(["c", "nope"], 2);
    expect(await store.count()).toBe(1);
    await driver.close();
    driver = new SqliteDriver({ dir });
    expect(await (await driver.openNamespace("n")).count()).toBe(1);
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("removes files orphaned by a crash during namespace deletion", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loci-sqlite-"));
    new SqliteDriver({ dir }).close();
    writeFileSync(join(dir, "namespaces", "00000000-0000-0000-0000-000000000000.db"), "orphan");
    const driver = new SqliteDriver({ dir });
    expect(existsSync(join(dir, "namespaces", "00000000-0000-0000-0000-000000000000.db"))).toBe(false);
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
