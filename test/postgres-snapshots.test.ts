/**
 * Local index snapshots of engines on PostgreSQL (`PostgresDriverOptions.snapshotDir`): each engine
 * keeps its namespaces' ANN and keyword snapshots in its own directory and, on open, loads them and
 * catches up from the shared change log, including what other engines wrote meanwhile. Runs against
 * `LOCI_TEST_PG_URL` when set, otherwise against PGlite served on 127.0.0.1.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HashEmbedder, Loci, PostgresDriver, type StorageDriver } from "@loci/engine";
import { overrideStores, type StoreOverrides } from "@loci/engine/testing";
import pg from "pg";
import { afterEach, describe, expect, it, vi } from "vitest";
import { usePostgres } from "./pg-harness.js";

const db = usePostgres();
let counter = 0;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An engine on `schema` with its own data directory, keeping snapshots under it (or none). */
function engineOn(
  schema: string,
  dataDir: string,
  opts: { snapshots?: boolean; overrides?: StoreOverrides } = {},
): Promise<Loci> {
  const driver: StorageDriver = new PostgresDriver({
    connectionString: db.url,
    schema,
    maxConnections: 3,
    ...(opts.snapshots === false ? {} : { snapshotDir: join(dataDir, "snapshots") }),
  });
  return Loci.open({
    dataDir,
    embedder: new HashEmbedder({ dimensions: 64 }),
    storage: opts.overrides ? overrideStores(driver, opts.overrides) : driver,
    sweepIntervalMs: 0,
  });
}

function setup() {
  const schema = `loci_snap_${process.pid}_${++counter}`;
  const dirs = [0, 1].map(() => mkdtempSync(join(tmpdir(), "loci-pg-snap-")));
  cleanups.push(async () => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await db.dropSchema(schema);
  });
  return { schema, dirs };
}

/** The namespace snapshot directories under an engine's data directory. */
const snapshotDirs = (dataDir: string, schema: string) => {
  const root = join(dataDir, "snapshots", schema);
  return existsSync(root) ? readdirSync(root).map((d) => join(root, d)) : [];
};

const ids = async (loci: Loci, query: string, mode: "keyword" | "vector" = "keyword") =>
  (await loci.memory.search({ namespace: "team", query, mode, limit: 10 }))
    .map((r) => r.memory.content)
    .sort();

/**
 * Engine a (no snapshots) wrote "old invoice" to namespace "team"; an engine on `dirs[1]` read it and
 * closed, leaving the namespace's snapshots there.
 */
async function snapshotted() {
  const { schema, dirs } = setup();
  const a = await engineOn(schema, dirs[0]!, { snapshots: false });
  cleanups.push(() => a.close());
  await a.memory.add({ namespace: "team", content: "old invoice" });
  const b = await engineOn(schema, dirs[1]!);
  expect(await ids(b, "invoice")).toEqual(["old invoice"]);
  await b.close();
  return { schema, dirs, a };
}

describe("local snapshots on PostgreSQL", () => {
  it("are written on close, loaded on open and caught up with the other engines' writes", async () => {
    const { schema, dirs } = setup();
    const a = await engineOn(schema, dirs[0]!, { snapshots: false });
    // b's next read of the change log is held until released: b's catch-up with a's next write is
    // still under way when b closes.
    let holdNext = false;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let b = await engineOn(schema, dirs[1]!, {
      overrides: {
        changesSince: async (real, generation, limit) => {
          if (holdNext) {
            holdNext = false;
            await held;
          }
          return real.changesSince(generation, limit);
        },
      },
    });
    cleanups.push(async () => {
      await a.close();
      await b.close();
    });
    const added = await a.memory.addMany({
      namespace: "team",
      memories: ["alpha invoice", "bravo refund", "charlie outage", "echo memo"].map((content) => ({
        content,
      })),
    });
    const id = new Map(added.map((m) => [m.content, m.id]));
    expect(await ids(b, "invoice")).toEqual(["alpha invoice"]);
    // An update by the other engine that b has not applied yet when it closes: b's snapshots must not
    // claim its generation with the old text (a missing memory would be noticed on open, an outdated
    // one would not).
    holdNext = true;
    await a.memory.update({ namespace: "team", id: id.get("bravo refund")!, content: "bravo invoice" });
    const closing = b.close();
    setTimeout(release, 100);
    await closing;
    const [dir] = snapshotDirs(dirs[1]!, schema);
    expect(readdirSync(dir!).sort()).toEqual([
      "keywords.bm25",
      "vectors.hnsw",
      "vectors.json",
      "vectors.sketch",
    ]);
    // An edit behind every engine's back (no change-log entry) shows where b's keyword index comes
    // from on reopen: the snapshot keeps the terms it had, a rebuild would read the new text.
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    const table = `"${schema}"."m_${dir!.split("/").pop()}"`;
    await sql.query(`UPDATE ${table} SET content = 'echo memo zzzsilent' WHERE content = 'echo memo'`);
    await sql.end();
    // More writes while b is down: an update, a delete, adds.
    await a.memory.update({ namespace: "team", id: id.get("alpha invoice")!, content: "alpha quote" });
    await a.memory.delete({ namespace: "team", id: id.get("charlie outage")! });
    await a.memory.addMany({
      namespace: "team",
      memories: [{ content: "zebra invoice" }, { content: "delta invoice" }],
    });
    b = await engineOn(schema, dirs[1]!);
    expect(await ids(b, "invoice")).toEqual(["bravo invoice", "delta invoice", "zebra invoice"]);
    expect(await ids(b, "quote")).toEqual(["alpha quote"]);
    expect(await ids(b, "refund")).toEqual([]);
    expect(await ids(b, "outage")).toEqual([]);
    expect(await ids(b, "memo")).toEqual(["echo memo zzzsilent"]);
    expect(await ids(b, "zzzsilent")).toEqual([]); // loaded from the snapshot, not rebuilt
    // The same answers as the engine that followed every write.
    await b.whenIndexed();
    const scores = async (loci: Loci) =>
      (await loci.memory.search({ namespace: "team", query: "invoice zebra memo", limit: 10 })).map(
        (r) => `${r.memory.content}@${r.score.toFixed(6)}`,
      );
    expect(await scores(b)).toEqual(await scores(a));
  });
  it("belong to one namespace: a namespace deleted and created again elsewhere starts afresh", async () => {
    const { schema, dirs, a } = await snapshotted();
    let b: Loci | null = null;
    cleanups.push(async () => {
      await b?.close();
    });
    const [old] = snapshotDirs(dirs[1]!, schema);
    expect(existsSync(join(old!, "keywords.bm25"))).toBe(true);
    await a.namespace.delete({ namespace: "team" });
    await a.memory.add({ namespace: "team", content: "new invoice" });
    b = await engineOn(schema, dirs[1]!);
    expect(await ids(b, "invoice")).toEqual(["new invoice"]);
    // The deleted namespace's snapshots were removed when b's driver started.
    expect(existsSync(old!)).toBe(false);
    // And a namespace b deletes itself loses its snapshots at once.
    await b.close();
    b = await engineOn(schema, dirs[1]!);
    expect(await ids(b, "invoice")).toEqual(["new invoice"]);
    await b.close();
    b = await engineOn(schema, dirs[1]!);
    expect(snapshotDirs(dirs[1]!, schema)).toHaveLength(1);
    await b.namespace.delete({ namespace: "team" });
    expect(snapshotDirs(dirs[1]!, schema)).toEqual([]);
  });

  it("of a namespace deleted elsewhere while open here are removed at once, not at the next start", async () => {
    const { schema, dirs, a } = await snapshotted();
    let b: Loci | null = null;
    cleanups.push(async () => {
      await b?.close();
    });
    b = await engineOn(schema, dirs[1]!);
    expect(await ids(b, "invoice")).toEqual(["old invoice"]); // open here, from its snapshots
    const [dir] = snapshotDirs(dirs[1]!, schema);
    expect(existsSync(join(dir!, "keywords.bm25"))).toBe(true);
    await a.namespace.delete({ namespace: "team" });
    // b learns of it from a notification or, at the latest, on its next use of the namespace.
    await expect(ids(b, "invoice")).rejects.toMatchObject({ code: "NAMESPACE_NOT_FOUND" });
    await vi.waitFor(() => expect(existsSync(dir!)).toBe(false), { timeout: 5_000 });
  });
});
