import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3-multiple-ciphers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { NewMemoryRecord } from "./driver.js";
import { createNamespace, newRecord } from "./records.case.js";
import { SqliteDriver, type SqliteDriverOptions } from "./sqlite.js";
import { Checkpointer, type CheckpointFailure } from "./sqlite-checkpointer.js";
import type { SqliteNamespaceStore } from "./sqlite-namespace.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "loci-ckpt-"));
  dirs.push(dir);
  return dir;
}

/** `n` memories with 256-d vectors (~1.3 KB each with content), ids `${prefix}${i}`. */
function records(n: number, prefix = "m"): NewMemoryRecord[] {
  return Array.from({ length: n }, (_, i) =>
    newRecord(`${prefix}${i}`, {
      content: `memory ${prefix}${i} `.repeat(8),
      embedding: Float32Array.from({ length: 256 }, (_, k) => Math.sin(i + k)),
    }),
  );
}

async function openWith(opts: Omit<SqliteDriverOptions, "dir"> & { dir?: string }) {
  const dir = opts.dir ?? tempDir();
  const driver = new SqliteDriver({ ...opts, dir });
  if (!(await driver.getNamespace("n"))) await createNamespace(driver, "n");
  const store = (await driver.openNamespace("n")) as SqliteNamespaceStore;
  const dbFile = join(
    dir,
    "namespaces",
    readdirSync(join(dir, "namespaces")).find((f) => f.endsWith(".db"))!,
  );
  return { dir, driver, store, dbFile };
}

describe("background WAL checkpoints (SqliteDriver)", () => {
  it("writes stay in the WAL until the worker's round copies them into the database file", async () => {
    const { driver, store, dbFile } = await openWith({ checkpointIntervalMs: 60_000 });
    expect(store.database.pragma("wal_autocheckpoint", { simple: true })).toBe(10_000);
    const before = statSync(dbFile).size;
    for (let b = 0; b < 4; b++) await store.insert(records(500, `b${b}-`));
    // 2,000 memories (~3 MB, ~800 pages): below the fallback threshold, so nothing was checkpointed.
    expect(statSync(dbFile).size).toBe(before);
    expect(statSync(`${dbFile}-wal`).size).toBeGreaterThan(2_000_000);
    await driver.checkpoint();
    expect(statSync(dbFile).size).toBeGreaterThan(2_000_000);
    expect(await store.count()).toBe(2_000);
    await driver.close();
    // The last connection closed checkpoints and removes the WAL.
    expect(existsSync(`${dbFile}-wal`)).toBe(false);
  });

  it("runs on its own shortly after writes, search-hit statistics included", async () => {
    const { driver, store, dbFile } = await openWith({ checkpointIntervalMs: 20 });
    const { inserted } = await store.insert(records(1_000));
    const seq = inserted[0]!.seq;
    // What the database file itself holds, the WAL ignored (a copy of the file alone).
    const copy = join(tempDir(), "copy.db");
    const inFile = () => {
      copyFileSync(dbFile, copy);
      const db = new Database(copy, { readonly: true });
      try {
        return db.prepare("SELECT access_count FROM memories WHERE seq = ?").pluck().get(seq) as
          | number
          | undefined;
      } finally {
        db.close();
      }
    };
    await vi.waitFor(() => expect(inFile()).toBe(0), { timeout: 5_000 });
    await store.touch([seq], 99);
    await vi.waitFor(() => expect(inFile()).toBe(1), { timeout: 5_000 });
    await driver.close();
  });

  it("concurrent opens of a namespace get one store", async () => {
    const { driver } = await openWith({});
    await createNamespace(driver, "other");
    const [a, b] = await Promise.all([driver.openNamespace("other"), driver.openNamespace("other")]);
    expect(a).toBe(b);
    await driver.close();
  });

  it("inline mode keeps SQLite's own checkpoints", async () => {
    const { driver, store } = await openWith({ checkpoints: "inline" });
    expect(store.database.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    await driver.checkpoint();
    await driver.close();
  });

  it("a deleted namespace leaves no files behind, though the worker held its database open", async () => {
    const { dir, driver, store } = await openWith({ checkpointIntervalMs: 60_000 });
    await store.insert(records(200));
    await driver.checkpoint();
    expect(await driver.deleteNamespace("n")).toBe(true);
    expect(readdirSync(join(dir, "namespaces"))).toEqual([]);
    await driver.close();
  });

  it("re-keys an encrypted namespace the worker holds open, and it reopens with the new key only", async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const { dir, driver, store } = await openWith({ encryptionKey: oldKey, checkpointIntervalMs: 60_000 });
    await store.insert(records(300));
    await driver.checkpoint();
    await driver.rekey(newKey);
    await store.insert(records(10, "after-"));
    await driver.checkpoint();
    await driver.close();
    const reopened = await openWith({ dir, encryptionKey: newKey });
    expect(await reopened.store.count()).toBe(310);
    await reopened.driver.close();
    expect(() => new SqliteDriver({ dir, encryptionKey: oldKey })).toThrow(/wrong encryption key/);
  });
  it("one shared checkpointer serves several drivers and outlives the one that closes", async () => {
    const shared = new Checkpointer({ intervalMs: 60_000 });
    try {
      const a = await openWith({ checkpointer: shared });
      const b = await openWith({ checkpointer: shared });
      await a.store.insert(records(500));
      await b.store.insert(records(500));
      const sizes = () => [statSync(a.dbFile).size, statSync(b.dbFile).size];
      const before = sizes();
      await shared.checkpoint();
      const after = sizes();
      expect(after[0]).toBeGreaterThan(before[0]!);
      expect(after[1]).toBeGreaterThan(before[1]!);
      await a.driver.close();
      expect(shared.running).toBe(true);
      await b.store.insert(records(500, "more-"));
      await b.driver.checkpoint();
      expect(statSync(b.dbFile).size).toBeGreaterThan(after[1]!);
      await b.driver.close();
    } finally {
      await shared.close();
    }
  });
});

describe("Checkpointer", () => {
  it("a file it cannot open is skipped and the others are still checkpointed", async () => {
    const { driver, store, dbFile, dir } = await openWith({ checkpoints: "inline" });
    store.database.pragma("wal_autocheckpoint = 0");
    await store.insert(records(500));
    const bogus = join(dir, "not-a-database.db");
    writeFileSync(bogus, "this is not a database file, not even close to one".repeat(100));
    const reported: CheckpointFailure[] = [];
    const checkpointer = new Checkpointer({ intervalMs: 60_000, onError: (f) => reported.push(f) });
    try {
      checkpointer.mark(bogus, null);
      checkpointer.mark(dbFile, null);
      const before = statSync(dbFile).size;
      await checkpointer.checkpoint();
      expect(statSync(dbFile).size).toBeGreaterThan(before);
      expect(checkpointer.active).toBe(true);
      // The failure is reported, not swallowed: the listener, the count and the latest failure.
      expect(reported).toHaveLength(1);
      expect(reported[0]).toMatchObject({ file: bogus, message: expect.stringMatching(/not a database/) });
      expect(checkpointer.failures).toBe(1);
      expect(checkpointer.lastFailure).toEqual(reported[0]);
    } finally {
      await checkpointer.close();
      await driver.close();
    }
  });

  it("stops its worker when idle and starts it again on the next write", async () => {
    const { driver, store, dbFile } = await openWith({ checkpoints: "inline" });
    store.database.pragma("wal_autocheckpoint = 0");
    const checkpointer = new Checkpointer({ intervalMs: 60_000, idleMs: 50 });
    try {
      expect(checkpointer.running).toBe(false);
      await store.insert(records(300));
      checkpointer.mark(dbFile, null);
      await checkpointer.checkpoint();
      expect(checkpointer.running).toBe(true);
      await vi.waitFor(() => expect(checkpointer.running).toBe(false), { timeout: 5_000 });
      const before = statSync(dbFile).size;
      await store.insert(records(300, "later-"));
      checkpointer.mark(dbFile, null);
      await checkpointer.checkpoint();
      expect(checkpointer.running).toBe(true);
      expect(statSync(dbFile).size).toBeGreaterThan(before);
    } finally {
      await checkpointer.close();
      await driver.close();
    }
    expect(checkpointer.running).toBe(false);
  });
});
