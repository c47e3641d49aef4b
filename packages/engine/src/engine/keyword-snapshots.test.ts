import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HashEmbedder } from "../embed/hash.js";
import { loadKeywordSnapshot, saveKeywordSnapshot } from "../index/bm25-snapshot.js";
import { Loci } from "../loci.js";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";

let env: TempEngine;
const copies: string[] = [];
afterEach(async () => {
  await env?.cleanup();
  for (const d of copies.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The snapshot directory of the data directory's only namespace. */
function snapshotDir(dataDir: string): string {
  const root = join(dataDir, "tenants", "default", "indexes");
  const [only] = readdirSync(root);
  return join(root, only!);
}

/**
 * Rewrites the keyword snapshot on disk with `label` indexed under `text` (at `generation`, default
 * the snapshot's own): only a namespace that loads the snapshot can then find `text`'s terms.
 */
async function plant(dataDir: string, label: number, text: string, generation?: number): Promise<void> {
  const dir = snapshotDir(dataDir);
  const loaded = await loadKeywordSnapshot({ dir });
  expect(loaded).not.toBeNull();
  loaded!.index.upsert(label, text);
  await saveKeywordSnapshot(loaded!.index, { dir }, generation ?? loaded!.generation);
}

const keywordIds = async (loci: Loci, query: string) =>
  (await loci.memory.search({ namespace: "n", query, mode: "keyword", limit: 10 }))
    .map((r) => r.memory.id)
    .sort();

describe("keyword snapshots of a namespace", () => {
  it("are written on close and loaded on open instead of tokenizing every memory again", async () => {
    env = await openTempEngine();
    const first = await env.loci.memory.add({ namespace: "n", content: "alpha bravo" });
    await env.loci.memory.add({ namespace: "n", content: "charlie delta" });
    await env.loci.close();
    expect(existsSync(join(snapshotDir(env.dataDir), "keywords.bm25"))).toBe(true);
    // Seqs count from 1: the first memory is label 1.
    await plant(env.dataDir, 1, "alpha bravo zzzplanted");
    await env.reopen();
    expect(await keywordIds(env.loci, "zzzplanted")).toEqual([first.id]);
    expect(await keywordIds(env.loci, "charlie")).toHaveLength(1);
    // Without the snapshot the index is built from the stored contents again.
    await env.loci.close();
    rmSync(join(snapshotDir(env.dataDir), "keywords.bm25"));
    await env.reopen();
    expect(await keywordIds(env.loci, "zzzplanted")).toEqual([]);
    expect(await keywordIds(env.loci, "alpha")).toEqual([first.id]);
  });

  it("are caught up from the change log after a crash: updates, additions and deletions since", async () => {
    env = await openTempEngine({ snapshotEvery: 1_000 });
    const first = await env.loci.memory.add({ namespace: "n", content: "alpha bravo" });
    const second = await env.loci.memory.add({ namespace: "n", content: "charlie delta" });
    const third = await env.loci.memory.add({ namespace: "n", content: "echo foxtrot" });
    await env.loci.close(); // the snapshot covers the three
    await plant(env.dataDir, 3, "echo foxtrot zzzplanted");
    env.loci = await Loci.open({ dataDir: env.dataDir, embedder: new HashEmbedder({ dimensions: 256 }) });
    await env.loci.memory.update({ namespace: "n", id: first.id, content: "zebra yankee" });
    const late = await env.loci.memory.add({ namespace: "n", content: "zebra xray" });
    await env.loci.memory.delete({ namespace: "n", id: second.id });
    // A crash: the files as they are on disk now (the snapshot is behind by three changes).
    const copy = mkdtempSync(join(tmpdir(), "loci-crash-"));
    copies.push(copy);
    cpSync(env.dataDir, copy, { recursive: true });
    rmSync(join(copy, "tenants", "default", "LOCK"));
    const crashed = await Loci.open({ dataDir: copy, embedder: new HashEmbedder({ dimensions: 256 }) });
    try {
      expect(await keywordIds(crashed, "zzzplanted")).toEqual([third.id]); // loaded, not rebuilt
      expect(await keywordIds(crashed, "zebra")).toEqual([first.id, late.id].sort());
      expect(await keywordIds(crashed, "alpha")).toEqual([]);
      expect(await keywordIds(crashed, "charlie")).toEqual([]);
      expect(await keywordIds(crashed, "echo")).toEqual([third.id]);
      const scores = async (loci: Loci) =>
        (await loci.memory.search({ namespace: "n", query: "zebra xray", mode: "keyword" })).map((r) => [
          r.memory.id,
          r.scores.keyword,
        ]);
      expect(await scores(crashed)).toEqual(await scores(env.loci));
    } finally {
      await crashed.close();
    }
  });

  it("are ignored when ahead of the database (restored from an older copy)", async () => {
    env = await openTempEngine();
    await env.loci.memory.add({ namespace: "n", content: "alpha bravo" });
    await env.loci.close();
    await plant(env.dataDir, 1, "alpha zzzplanted", 1_000_000);
    await env.reopen();
    expect(await keywordIds(env.loci, "zzzplanted")).toEqual([]);
    expect(await keywordIds(env.loci, "bravo")).toHaveLength(1);
  });

  it("written while writes stream in, load after a crash into the index the live namespace has", async () => {
    env = await openTempEngine({ snapshotEvery: 500 });
    // Identifiers make a term each: 25,000 terms span several encoding steps, so writes land between
    // them, and 5,000 memories keep a snapshot due every 500 changes.
    for (let i = 0; i < 5_000; i += 1_000) {
      const memories = Array.from({ length: 1_000 }, (_, j) => {
        const n = i + j;
        return { content: `ticket t${n} a${n} b${n} c${n} d${n} cust_${n % 97}` };
      });
      await env.loci.memory.addMany({ namespace: "n", memories });
    }
    const ids = (await env.loci.memory.list({ namespace: "n", limit: 1_000 })).items.map((m) => m.id);
    // A stream of single writes, each one committed before the next, while snapshots come due.
    for (let k = 0; k < 1_500; k++) {
      if (k % 3 === 0)
        await env.loci.memory.update({
          namespace: "n",
          id: ids[k % 500]!,
          content: `reopened r${k} cust_5`,
        });
      else if (k % 3 === 1)
        await env.loci.memory.add({ namespace: "n", content: `ticket fresh f${k} cust_5` });
      else await env.loci.memory.delete({ namespace: "n", id: ids[500 + Math.floor(k / 3)]! });
    }
    const copy = mkdtempSync(join(tmpdir(), "loci-crash-"));
    copies.push(copy);
    cpSync(env.dataDir, copy, { recursive: true });
    rmSync(join(copy, "tenants", "default", "LOCK"));
    const snapshot = await loadKeywordSnapshot({ dir: snapshotDir(copy) });
    expect(snapshot?.generation).toBeGreaterThan(0); // written during the stream, not on close
    const crashed = await Loci.open({ dataDir: copy, embedder: new HashEmbedder({ dimensions: 256 }) });
    try {
      const ranked = async (loci: Loci, query: string) =>
        (await loci.memory.search({ namespace: "n", query, mode: "keyword", limit: 1_000 })).map((r) => [
          r.memory.id,
          r.scores.keyword,
        ]);
      for (const q of [
        "cust_5",
        "reopened",
        "reopened cust_5 ticket",
        "fresh reopened cust_5",
        "ticket fresh",
        "t123 a4567",
        "cust_42 ticket",
        "f1000",
        "b501 c502",
      ])
        expect(await ranked(crashed, q)).toEqual(await ranked(env.loci, q));
    } finally {
      await crashed.close();
    }
  });
});
