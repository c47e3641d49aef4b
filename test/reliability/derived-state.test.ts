/**
 * Damaged derived state and damaged databases. The ANN snapshots (hnswlib files) and the keyword
 * snapshots (BM25 postings) are derived from the database: deleted, truncated, corrupted, garbled or
 * stale, the engine and the server must start, rebuild or catch up from the database, and answer
 * exactly as before. A database that is corrupted or opened with the wrong key must be refused with a
 * clear error and left as it was.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HashEmbedder, Loci, LociError, type MemoryClient, type SearchMode } from "@loci/engine";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT_KEY, ServerProcess, ServerStartError } from "../harness/server-process.js";
import { countingClient, RunStats, report } from "./harness/stats.js";

const dirs: string[] = [];
const tmp = (name: string) => {
  const d = mkdtempSync(join(tmpdir(), `loci-reliability-${name}-`));
  dirs.push(d);
  return d;
};
const stats = new RunStats();
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  console.log(stats.table("damaged derived state and databases"));
  report("derived-state", stats);
});

const NAMESPACES = ["derived-a", "derived-b"];
const embedder = () => new HashEmbedder(); // the id `loci serve --embedder hash` uses
const open = (dataDir: string) => Loci.open({ dataDir, embedder: embedder(), snapshotEvery: 100 });
const TOPICS = ["invoice", "renewal", "outage", "contract", "refund", "onboarding", "pricing", "security"];

async function seed(loci: Loci, from: number, count: number): Promise<void> {
  for (const ns of NAMESPACES) {
    const memories = Array.from({ length: count }, (_, j) => {
      const i = from + j;
      return {
        content: `${TOPICS[i % 8]} note ${i} for customer ${i % 17} about ${TOPICS[(i * 3) % 8]} in ${ns}`,
      };
    });
    for (let i = 0; i < memories.length; i += 100) {
      await loci.memory.addMany({ namespace: ns, memories: memories.slice(i, i + 100) });
    }
  }
}

/** The answers to a fixed set of queries: ids and scores, per namespace and mode. */
async function answers(client: MemoryClient): Promise<string[]> {
  const out: string[] = [];
  for (const ns of NAMESPACES) {
    for (const mode of ["vector", "keyword", "hybrid"] as SearchMode[]) {
      for (const query of ["invoice for customer 3", "security outage", "note 250 renewal pricing"]) {
        const hits = await client.memory.search({ namespace: ns, query, mode, limit: 10 });
        out.push(
          `${ns} ${mode} ${query}: ${hits.map((h) => `${h.memory.id}@${h.score.toFixed(5)}`).join(" ")}`,
        );
      }
    }
  }
  return out;
}

/**
 * {@link answers} once the ANN graph holds everything: before that, not-yet-inserted vectors are scored
 * exactly, which can order exact ties at the candidate cut differently from the graph.
 */
async function indexedAnswers(loci: Loci): Promise<string[]> {
  // Namespaces open on first use: open them, then wait for their graphs.
  for (const ns of NAMESPACES) await loci.memory.search({ namespace: ns, query: "warm up", limit: 1 });
  await loci.whenIndexed();
  return answers(loci);
}

/** The snapshot directories (`indexes/<file id>/`) of a plaintext data directory. */
function snapshotDirs(dataDir: string): string[] {
  const base = join(dataDir, "tenants", "default", "indexes");
  return readdirSync(base).map((d) => join(base, d));
}

const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");
function fingerprint(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name !== "LOCK") out.set(p, sha(p));
    }
  };
  walk(dir);
  return out;
}

type Damage = (snapshotDir: string) => void;
/** Overwrites `bytes` random bytes in the middle of `file`. */
const corrupt = (file: string, bytes: number) => {
  const buf = readFileSync(file);
  randomBytes(bytes).copy(buf, Math.floor(buf.length / 2));
  writeFileSync(file, buf);
};
const DAMAGES: [string, Damage][] = [
  ["snapshot deleted", (d) => rmSync(d, { recursive: true })],
  ["index file truncated", (d) => truncateSync(join(d, "vectors.hnsw"), 1000)],
  ["index file corrupted", (d) => corrupt(join(d, "vectors.hnsw"), 4096)],
  ["metadata garbled", (d) => writeFileSync(join(d, "vectors.json"), "{ not json")],
  [
    "metadata of another dimension",
    (d) => writeFileSync(join(d, "vectors.json"), '{"generation":1,"dimensions":7}'),
  ],
  ["index file emptied", (d) => writeFileSync(join(d, "vectors.hnsw"), "")],
  ["keyword snapshot truncated", (d) => truncateSync(join(d, "keywords.bm25"), 200)],
  ["keyword snapshot corrupted", (d) => corrupt(join(d, "keywords.bm25"), 64)],
  ["keyword snapshot emptied", (d) => writeFileSync(join(d, "keywords.bm25"), "")],
  ["keyword snapshot deleted", (d) => rmSync(join(d, "keywords.bm25"))],
  ["sketch snapshot truncated", (d) => truncateSync(join(d, "vectors.sketch"), 300)],
  ["sketch snapshot corrupted", (d) => corrupt(join(d, "vectors.sketch"), 64)],
  ["sketch snapshot deleted", (d) => rmSync(join(d, "vectors.sketch"))],
];
const SNAPSHOT_FILES = ["vectors.hnsw", "vectors.json", "keywords.bm25", "vectors.sketch"];

describe("damaged derived state", () => {
  it("rebuilds damaged ANN and keyword snapshots from the database and answers exactly as before", async () => {
    const dataDir = tmp("derived");
    let loci = await open(dataDir);
    await seed(loci, 0, 300);
    const baseline = await indexedAnswers(loci);
    await loci.close();
    for (const [name, damage] of DAMAGES) {
      for (const d of snapshotDirs(dataDir)) damage(d);
      loci = await open(dataDir);
      expect(await indexedAnswers(loci), name).toEqual(baseline);
      await loci.close();
      stats.rebuilds++;
      // Closing wrote a sound snapshot again, which the next open loads.
      for (const d of snapshotDirs(dataDir)) {
        const meta = JSON.parse(readFileSync(join(d, "vectors.json"), "utf8")) as { sha256: string };
        expect(meta.sha256, name).toBe(sha(join(d, "vectors.hnsw")));
        expect(readFileSync(join(d, "keywords.bm25")).length, name).toBeGreaterThan(1000);
        expect(readFileSync(join(d, "vectors.sketch")).length, name).toBeGreaterThan(1000);
      }
    }

    // Stale but sound snapshots (older than the database) are caught up from the change log:
    // keep the current files, write more (and delete one), then put the old files back.
    const stash = tmp("stale");
    const pairs = snapshotDirs(dataDir).map((d, i) => {
      for (const f of SNAPSHOT_FILES) copyFileSync(join(d, f), join(stash, `${i}-${f}`));
      return { d, i };
    });
    loci = await open(dataDir);
    await seed(loci, 300, 150);
    const first = (await loci.memory.list({ namespace: NAMESPACES[0]!, limit: 1 })).items[0]!;
    expect(await loci.memory.delete({ namespace: NAMESPACES[0]!, id: first.id })).toBe(true);
    const latest = await indexedAnswers(loci);
    expect(latest).not.toEqual(baseline);
    await loci.close();
    for (const { d, i } of pairs) {
      for (const f of SNAPSHOT_FILES) copyFileSync(join(stash, `${i}-${f}`), join(d, f));
    }
    loci = await open(dataDir);
    expect(await indexedAnswers(loci)).toEqual(latest);
    await loci.close();
    stats.rebuilds++;

    // Nothing under the data directory but databases, WAL, the snapshots and the lock (no temp files).
    const files = [...fingerprint(dataDir).keys()].map((f) => f.slice(dataDir.length));
    expect(
      files.filter((f) => !/\.(db|db-wal|db-shm)$|\/(vectors\.(hnsw|json|sketch)|keywords\.bm25)$/.test(f)),
    ).toEqual([]);
  });

  it("the server starts on damaged snapshots and answers as before (plaintext tenant)", {
    timeout: 120_000,
  }, async () => {
    const dataDir = tmp("derived-server");
    const loci = await open(dataDir);
    await seed(loci, 0, 200);
    const baseline = await indexedAnswers(loci);
    await loci.close();
    const server = await ServerProcess.start({ dataDir });
    const client = countingClient(() => server.url, stats, { apiKey: ROOT_KEY });
    const caughtUp = async () => {
      await client.memory.search({ namespace: NAMESPACES[0]!, query: "warm up", limit: 1 });
      await client.memory.search({ namespace: NAMESPACES[1]!, query: "warm up", limit: 1 });
      for (;;) {
        const text = await (await fetch(`${server.url}/metrics`)).text();
        if (/^loci_index_pending_vectors 0$/m.test(text)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await caughtUp();
      expect(await answers(client)).toEqual(baseline);
      // Three of the damages (each restart costs a server start).
      for (const [name, damage] of DAMAGES.slice(0, 3)) {
        await server.kill();
        for (const d of snapshotDirs(dataDir)) if (existsSync(d)) damage(d);
        await server.restart();
        stats.rebuilds++;
        await caughtUp();
        expect(await answers(client), name).toEqual(baseline);
      }
    } finally {
      await server.stop();
    }
  });
});

describe("damaged or wrongly keyed databases", () => {
  it("refuses a database opened with the wrong key, and leaves it untouched", async () => {
    const dataDir = tmp("wrong-key");
    const key = randomBytes(32);
    let loci = await Loci.open({ dataDir, embedder: embedder(), encryptionKey: key });
    await loci.memory.add({ namespace: "secret", content: "encrypted at rest" });
    await loci.close();
    const before = fingerprint(dataDir);
    const err = await Loci.open({ dataDir, embedder: embedder(), encryptionKey: randomBytes(32) }).catch(
      (e) => e,
    );
    expect(LociError.isInstance(err) && err.code).toBe("STORAGE_ERROR");
    expect((err as LociError).message).toMatch(/wrong encryption key/);
    expect((err as LociError).details).toEqual({ reason: "wrong_key" });
    stats.error(err);
    const plain = await Loci.open({ dataDir, embedder: embedder() }).catch((e) => e);
    expect((plain as LociError).details).toEqual({ reason: "encrypted" });
    expect(fingerprint(dataDir)).toEqual(before);
    loci = await Loci.open({ dataDir, embedder: embedder(), encryptionKey: key });
    expect((await loci.memory.list({ namespace: "secret" })).items.map((m) => m.content)).toEqual([
      "encrypted at rest",
    ]);
    await loci.close();
  });

  it("refuses a corrupted catalog or namespace database with a clear error, never replacing it", async () => {
    const dataDir = tmp("corrupt");
    let loci = await open(dataDir);
    await seed(loci, 0, 20);
    await loci.close();
    const tenant = join(dataDir, "tenants", "default");
    const garble = (file: string) => {
      const buf = readFileSync(file);
      const header = Buffer.from(buf.subarray(0, 100));
      randomBytes(100).copy(buf, 0);
      writeFileSync(file, buf);
      return () => {
        header.copy(buf, 0);
        writeFileSync(file, buf);
      };
    };

    const restoreCatalog = garble(join(tenant, "catalog.db"));
    const before = fingerprint(dataDir);
    const err = await open(dataDir).catch((e) => e);
    expect(LociError.isInstance(err) && err.code).toBe("STORAGE_ERROR");
    expect((err as LociError).message).toMatch(/catalog\.db.*(not a database|encrypted)/);
    stats.error(err);
    expect(fingerprint(dataDir)).toEqual(before);
    restoreCatalog();

    const nsFile = readdirSync(join(tenant, "namespaces")).find((f) => f.endsWith(".db"))!;
    const restoreNs = garble(join(tenant, "namespaces", nsFile));
    const damaged = fingerprint(dataDir);
    loci = await open(dataDir);
    const results = await Promise.all(
      NAMESPACES.map((namespace) => loci.memory.list({ namespace, limit: 100 }).catch((e: unknown) => e)),
    );
    const failed = results.filter((r) => LociError.isInstance(r));
    expect(failed).toHaveLength(1);
    expect((failed[0] as LociError).code).toBe("STORAGE_ERROR");
    expect((failed[0] as LociError).message).toContain(nsFile);
    stats.error(failed[0]);
    expect(
      results.filter((r) => !LociError.isInstance(r)).map((r) => (r as { items: unknown[] }).items.length),
    ).toEqual([20]);
    await loci.close();
    expect(fingerprint(dataDir).get(join(tenant, "namespaces", nsFile))).toBe(
      damaged.get(join(tenant, "namespaces", nsFile)),
    );
    restoreNs();
    loci = await open(dataDir);
    for (const namespace of NAMESPACES)
      expect((await loci.memory.list({ namespace, limit: 100 })).items).toHaveLength(20);
    await loci.close();
  });

  it("the server refuses to start with the wrong master key or a corrupted tenant database", {
    timeout: 120_000,
  }, async () => {
    const dataDir = tmp("server-keys");
    const server = await ServerProcess.start({ dataDir });
    const client = countingClient(() => server.url, stats, { apiKey: ROOT_KEY });
    await client.memory.add({ namespace: "kept", content: "must survive refused starts" });
    await server.stop();
    const before = fingerprint(dataDir);

    const wrongKey = await ServerProcess.start({
      dataDir,
      env: { LOCI_MASTER_KEY: randomBytes(32).toString("hex") },
    }).catch((e) => e);
    expect(wrongKey).toBeInstanceOf(ServerStartError);
    expect((wrongKey as ServerStartError).exitCode).toBe(1);
    expect((wrongKey as ServerStartError).stderr).toMatch(
      /master key is not the one this data directory was created with/,
    );
    stats.error(new LociError({ code: "STORAGE_ERROR" }));

    const catalog = join(dataDir, "tenants", "default", "catalog.db");
    const original = readFileSync(catalog);
    const garbled = Buffer.from(original);
    randomBytes(4096).copy(garbled, 0);
    writeFileSync(catalog, garbled);
    const corrupt = await ServerProcess.start({ dataDir }).catch((e) => e);
    expect(corrupt).toBeInstanceOf(ServerStartError);
    expect((corrupt as ServerStartError).exitCode).toBe(1);
    expect((corrupt as ServerStartError).stderr).toMatch(
      /STORAGE_ERROR: cannot open .*catalog\.db: wrong encryption key/,
    );
    stats.error(new LociError({ code: "STORAGE_ERROR" }));
    expect(readFileSync(catalog).equals(garbled)).toBe(true);
    writeFileSync(catalog, original);
    const after = fingerprint(dataDir);
    for (const [file, hash] of before)
      if (!file.endsWith("audit.db") && !file.endsWith("-wal")) expect(after.get(file), file).toBe(hash);

    const again = await ServerProcess.start({ dataDir });
    try {
      const c = countingClient(() => again.url, stats, { apiKey: ROOT_KEY });
      expect((await c.memory.list({ namespace: "kept" })).items.map((m) => m.content)).toEqual([
        "must survive refused starts",
      ]);
    } finally {
      await again.stop();
    }
  });
});
