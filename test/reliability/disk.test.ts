/**
 * Disk full and read-only storage, for real: the data directory is a small tmpfs (root is needed to
 * mount it; CI runs as root, so a failed mount fails the test instead of skipping it). Writes must
 * fail with STORAGE_FULL (507) or STORAGE_READ_ONLY (503), acknowledged data must stay intact, and
 * the server must take writes again once space (or write access) returns.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BackgroundFailure, HashEmbedder, Loci, LociError } from "@loci/engine";
import { startTestServer, type TestServer } from "@loci/server/testing";
import hnswlib from "hnswlib-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ServerProcess, ServerStartError } from "../harness/server-process.js";
import { RunStats, report } from "./harness/stats.js";
import { allMemories } from "./harness/verify.js";

const root = mkdtempSync(join(tmpdir(), "loci-reliability-disk-"));
const mnt = join(root, "data");
const mounts: string[] = [];
const sh = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { stdio: "pipe" }).toString();

function mount(...args: string[]): void {
  try {
    sh("mount", ...args);
  } catch (err) {
    throw new Error(
      `this test needs root to mount a tmpfs (mount ${args.join(" ")}): ${(err as { stderr?: Buffer }).stderr ?? err}`,
    );
  }
  mounts.push(args[args.length - 1]!);
}

let t: TestServer;
const stats = new RunStats();
beforeAll(async () => {
  mkdirSync(mnt);
  mount("-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt);
  t = await startTestServer({ dataDir: mnt });
});
afterAll(async () => {
  await t?.stop().catch(() => undefined);
  for (const m of mounts.reverse()) {
    try {
      sh("umount", m);
    } catch {
      // already unmounted by the test
    }
  }
  rmSync(root, { recursive: true, force: true });
  console.log(stats.table("disk full / read-only storage"));
  report("disk", stats);
});

const add = (ns: string, content: string) =>
  t.fetch(`/v1/namespaces/${ns}/memories`, { method: "POST", body: JSON.stringify({ content }) });
const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; message: string } }).error;

/** Adds memories until one is acknowledged no more; returns the acknowledged ids. */
async function fillWithMemories(ns: string): Promise<{ ids: string[]; last: Response }> {
  const ids: string[] = [];
  const big = "x".repeat(20_000);
  for (let i = 0; ; i++) {
    const res = await add(ns, `fill ${i} ${big}`);
    if (res.status !== 201) return { ids, last: res };
    ids.push(((await res.json()) as { id: string }).id);
    stats.acknowledged++;
    if (i > 2_000) throw new Error("the disk never filled up");
  }
}

describe("storage full or read-only", () => {
  it("answers 507 STORAGE_FULL when the disk is full, keeps what it acknowledged, and recovers", async () => {
    const acked: string[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await add("disk", `acknowledged before the disk filled ${i}`);
      expect(res.status).toBe(201);
      acked.push(((await res.json()) as { id: string }).id);
    }
    stats.acknowledged += acked.length;
    // Fill the filesystem with a file (writeFileSync stops at ENOSPC, leaving the file).
    expect(() => writeFileSync(join(mnt, "filler"), Buffer.alloc(16 * 1024 * 1024))).toThrow(/ENOSPC/);

    const full = await add("disk", "does not fit");
    expect(full.status).toBe(507);
    const e = await errorOf(full);
    expect(e.code).toBe("STORAGE_FULL");
    expect(e.message).toMatch(/full/);
    stats.error(new LociError({ code: "STORAGE_FULL" }));
    const batch = await t.fetch("/v1/namespaces/disk/memories/batch", {
      method: "POST",
      body: JSON.stringify({ memories: [{ content: "a" }, { content: "b" }] }),
    });
    expect(batch.status).toBe(507);
    const session = await t.fetch("/v1/namespaces/disk/sessions", { method: "POST", body: "{}" });
    expect(session.status).toBe(507);
    const fresh = await add("brand-new-namespace", "a new namespace needs space too");
    expect([503, 507]).toContain(fresh.status);
    // The typed error reaches LociClient users, and no write is retried into a full disk.
    const err = await t.root.memory.add({ namespace: "disk", content: "via client" }).catch((x) => x);
    expect(LociError.isInstance(err) && err.code).toBe("STORAGE_FULL");
    // Reads keep working and see exactly what was acknowledged.
    expect((await allMemories(t.root, "disk")).map((m) => m.id)).toEqual(acked);
    expect(
      (await t.root.memory.search({ namespace: "disk", query: "acknowledged", limit: 100 })).length,
    ).toBe(30);
    expect((await t.fetch("/health")).status).toBe(200);

    rmSync(join(mnt, "filler"));
    const again = await add("disk", "fits again");
    expect(again.status).toBe(201);
    const ids = (await allMemories(t.root, "disk")).map((m) => m.id);
    expect(ids.slice(0, 30)).toEqual(acked);
    expect(ids).toHaveLength(31);
  });

  it("fills up with memories, then takes writes again after the filesystem grows, losing nothing", async () => {
    const { ids, last } = await fillWithMemories("grow");
    expect(last.status).toBe(507);
    expect((await errorOf(last)).code).toBe("STORAGE_FULL");
    expect(ids.length).toBeGreaterThan(10);
    sh("mount", "-o", "remount,size=64m", mnt);
    const after = await add("grow", "after the remount");
    expect(after.status).toBe(201);
    // A restart reads back exactly the acknowledged memories, plus the last one: no partial write.
    await t.stop({ keepData: true });
    t = await startTestServer({ dataDir: mnt });
    const stored = await allMemories(t.root, "grow");
    expect(stored.map((m) => m.id)).toEqual([...ids, ((await after.json()) as { id: string }).id]);
    expect(stored.every((m, i) => i === ids.length || m.content.startsWith(`fill ${i} `))).toBe(true);
  });

  it("answers 503 STORAGE_READ_ONLY when the data directory refuses writes, and recovers", async () => {
    expect((await add("ro", "written before")).status).toBe(201);
    await t.stop({ keepData: true });
    t = await startTestServer({ dataDir: mnt });
    // The namespaces' directory turns read-only before the namespace is opened again.
    const nsDir = join(mnt, "tenants", "default", "namespaces");
    mount("--bind", nsDir, nsDir);
    sh("mount", "-o", "remount,bind,ro", nsDir);
    const res = await add("ro", "cannot be written");
    expect(res.status).toBe(503);
    const e = await errorOf(res);
    expect(e.code).toBe("STORAGE_READ_ONLY");
    expect(e.message).toMatch(/read-only/);
    expect(res.headers.get("retry-after")).toBe("5");
    stats.error(new LociError({ code: "STORAGE_READ_ONLY" }));
    sh("umount", nsDir);
    mounts.pop();
    expect((await add("ro", "written after")).status).toBe(201);
    expect((await allMemories(t.root, "ro")).map((m) => m.content)).toEqual([
      "written before",
      "written after",
    ]);
  });

  it("a snapshot that does not fit never fails the committed write behind it (embedded engine)", async () => {
    const dir = join(root, "engine");
    mkdirSync(dir);
    mount("-t", "tmpfs", "-o", "size=16m", "tmpfs", dir);
    const embedder = new HashEmbedder({ dimensions: 512 });
    const failures: BackgroundFailure[] = [];
    let loci = await Loci.open({
      dataDir: dir,
      embedder,
      snapshotEvery: 5,
      onBackgroundError: (f) => failures.push(f),
    });
    const ids: string[] = [];
    for (let i = 0; i < 200; i++)
      ids.push((await loci.memory.add({ namespace: "snap", content: `note ${i}` })).id);
    // The ANN graph catches up with the writes.
    await loci.whenIndexed();
    // And the WAL is copied into the database file by the background checkpoint (then commits reuse
    // the WAL's space instead of growing it).
    const nsFiles = join(dir, "tenants", "default", "namespaces");
    const dbFile = join(nsFiles, readdirSync(nsFiles).find((f) => f.endsWith(".db"))!);
    await vi.waitFor(() => expect(statSync(dbFile).size).toBeGreaterThan(500_000), { timeout: 10_000 });
    // No snapshot may be in flight when the disk fills: wait until the snapshot directory has held the
    // same files, none of them temporary, for a second.
    const snapshotFiles = () => {
      const d = join(dir, "tenants", "default", "indexes");
      return readdirSync(d)
        .flatMap((ns) =>
          readdirSync(join(d, ns)).map((f) => `${ns}/${f}:${statSync(join(d, ns, f)).mtimeMs}`),
        )
        .join(",");
    };
    const deadline = Date.now() + 30_000;
    for (let seen = snapshotFiles(); ; ) {
      await new Promise((r) => setTimeout(r, 1_000));
      const now = snapshotFiles();
      if (now === seen && !now.includes(".tmp:")) break;
      if (Date.now() > deadline) throw new Error(`snapshots did not settle: ${now}`);
      seen = now;
    }
    // Leave room for a few small commits (the WAL, at its full size, reuses its space), not for the
    // ~450 KB ANN snapshot that every max(5, n / 10) changes write.
    const filler = join(dir, "filler");
    expect(() => writeFileSync(filler, Buffer.alloc(32 * 1024 * 1024))).toThrow(/ENOSPC/);
    truncateSync(filler, statSync(filler).size - 64 * 1024);
    const snapshotDir = join(
      dir,
      "tenants",
      "default",
      "indexes",
      readdirSync(join(dir, "tenants", "default", "indexes"))[0]!,
    );
    // The snapshot's element count when its file is sound (hash and layout), else -1.
    const soundCount = () => {
      const meta = JSON.parse(readFileSync(join(snapshotDir, "vectors.json"), "utf8")) as { sha256: string };
      const file = readFileSync(join(snapshotDir, "vectors.hnsw"));
      if (createHash("sha256").update(file).digest("hex") !== meta.sha256) return -1;
      const index = new hnswlib.HierarchicalNSW("cosine", 512);
      try {
        index.readIndexSync(join(snapshotDir, "vectors.hnsw"), true);
      } catch {
        return -1;
      }
      return index.getCurrentCount();
    };
    // Snapshots are taken every max(5, n / 10) changes and once a backlog empties: the last one holds
    // most of the 200 memories (the rest are caught up from the change log on open).
    const snapshotted = soundCount();
    expect(snapshotted).toBeGreaterThan(150);
    try {
      // 25 writes: more than the 20 changes between two snapshots, so at least one snapshot is tried.
      for (let i = 0; i < 25; i++) {
        ids.push((await loci.memory.add({ namespace: "snap", content: `after the disk filled ${i}` })).id);
        stats.acknowledged++;
      }
    } finally {
      await loci.close();
    }
    // Each snapshot that did not fit was reported, then dropped; the last sound one is still in place.
    expect(failures.length).toBeGreaterThan(0);
    expect(new Set(failures.map((f) => `${f.work} ${f.namespace}`))).toEqual(new Set(["snapshot snap"]));
    // The snapshots that did not fit were dropped; the last sound one is still in place.
    expect(soundCount()).toBe(snapshotted);
    expect(readdirSync(snapshotDir).sort()).toEqual([
      "keywords.bm25",
      "vectors.hnsw",
      "vectors.json",
      "vectors.sketch",
    ]);
    rmSync(filler);
    loci = await Loci.open({ dataDir: dir, embedder });
    expect((await loci.memory.list({ namespace: "snap", limit: 1000 })).items.map((m) => m.id)).toEqual(ids);
    const [top] = await loci.memory.search({
      namespace: "snap",
      query: "after the disk filled 24",
      mode: "vector",
      limit: 1,
    });
    expect(top?.memory.id).toBe(ids[ids.length - 1]);
    await loci.close();
  });

  it("refuses to start on a read-only data directory with a clear error, leaving it intact", async () => {
    await t.stop({ keepData: true });
    const ro = join(root, "ro");
    mkdirSync(ro);
    mount("--bind", mnt, ro);
    sh("mount", "-o", "remount,bind,ro", ro);
    const started = await ServerProcess.start({ dataDir: ro }).catch((x) => x);
    expect(started).toBeInstanceOf(ServerStartError);
    expect((started as ServerStartError).exitCode).toBe(1);
    expect((started as ServerStartError).stderr).toMatch(/STORAGE_READ_ONLY: .*read-only/);
    sh("umount", ro);
    mounts.pop();
    t = await startTestServer({ dataDir: mnt });
    expect((await allMemories(t.root, "disk")).length).toBe(31);
    expect((await allMemories(t.root, "ro")).length).toBe(2);
  });
});
