import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { seededRandom } from "../util/random.js";
import { Bm25Index } from "./bm25.js";
import {
  decodeBm25,
  encodeBm25,
  encodeBm25Sliced,
  loadKeywordSnapshot,
  saveKeywordSnapshot,
} from "./bm25-snapshot.js";
import { ENGLISH_STOP_WORDS } from "./tokenize.js";

const WORDS =
  "invoice refund charge billing customer renewal contract outage server database latency password reset email delayed migration kafka cluster straße 北京 cust_42 INV-2291 v2.3.1".split(
    " ",
  );

function randomText(random: () => number): string {
  const n = 1 + Math.floor(random() * 12);
  return Array.from({ length: n }, () => WORDS[Math.floor(random() * WORDS.length)]!).join(" ");
}

/** Applies `steps` random upserts and removals over labels [0, 600) to every index given. */
function churn(indexes: Bm25Index[], random: () => number, steps: number): void {
  for (let i = 0; i < steps; i++) {
    const label = Math.floor(random() * 600);
    if (random() < 0.25) for (const ix of indexes) ix.remove(label);
    else {
      const text = randomText(random);
      for (const ix of indexes) ix.upsert(label, text);
    }
  }
}

const QUERIES = [
  "invoice refund",
  "customer billing charge",
  "kafka cluster outage",
  "北京 straße",
  "cust_42 INV-2291",
];

function answers(index: Bm25Index) {
  return QUERIES.map((q) => ({
    top: index.search(q, 10),
    among: index.searchAmong(q, 5, [1, 5, 9, 40, 41, 300]),
    scores: [...index.score(q, [2, 3, 4, 599])],
    passages: [...index.scorePassages(q, new Map([[7, [6, 7, 8]]]), 3)],
  }));
}

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "loci-bm25-snap-"));
  dirs.push(d);
  return d;
};

describe("keyword snapshots", () => {
  it("restore an index that answers exactly as the original, and keeps changing in step with it", async () => {
    const random = seededRandom(5);
    const original = new Bm25Index();
    churn([original], random, 3_000);
    const restored = await Bm25Index.restore(await decodeBm25(encodeBm25(original)));
    expect(restored.size).toBe(original.size);
    expect([...restored.labels()].sort((a, b) => a - b)).toEqual(
      [...original.labels()].sort((a, b) => a - b),
    );
    expect(answers(restored)).toEqual(answers(original));
    // The restored arrays are views into the payload: growing, shrinking and re-indexing still work.
    churn([original, restored], random, 3_000);
    expect(answers(restored)).toEqual(answers(original));
    expect(restored.size).toBe(original.size);
  });

  it("round-trip an empty index and one whose terms all lost their documents", async () => {
    const empty = await Bm25Index.restore(await decodeBm25(encodeBm25(new Bm25Index())));
    expect(empty.size).toBe(0);
    empty.upsert(3, "refund invoice");
    expect(empty.search("refund", 5).map((h) => h.label)).toEqual([3]);
    const drained = new Bm25Index();
    drained.upsert(1, "kafka outage");
    drained.remove(1);
    const back = await Bm25Index.restore(await decodeBm25(encodeBm25(drained)));
    expect(back.search("kafka", 5)).toEqual([]);
    back.upsert(2, "kafka");
    expect(back.search("kafka", 5).map((h) => h.label)).toEqual([2]);
  });

  it("are written to disk and loaded with the generation they include, plaintext or encrypted", async () => {
    const random = seededRandom(9);
    const index = new Bm25Index();
    churn([index], random, 1_000);
    const dir = tempDir();
    await saveKeywordSnapshot(index, { dir }, 42);
    expect(readdirSync(dir)).toEqual(["keywords.bm25"]);
    const loaded = await loadKeywordSnapshot({ dir });
    expect(loaded?.generation).toBe(42);
    expect(answers(loaded!.index)).toEqual(answers(index));

    const key = randomBytes(32);
    const secret = tempDir();
    await saveKeywordSnapshot(index, { dir: secret, key }, 43);
    const bytes = readFileSync(join(secret, "keywords.bm25"));
    expect(bytes.includes("invoic\0")).toBe(false); // a stemmed term, as the plaintext file holds it
    expect(readFileSync(join(dir, "keywords.bm25")).includes("invoic\0")).toBe(true);
    const decrypted = await loadKeywordSnapshot({ dir: secret, key });
    expect(decrypted?.generation).toBe(43);
    expect(answers(decrypted!.index)).toEqual(answers(index));
    // Another key, no key, or a key for a plaintext snapshot: not loaded.
    expect(await loadKeywordSnapshot({ dir: secret, key: randomBytes(32) })).toBeNull();
    expect(await loadKeywordSnapshot({ dir: secret })).toBeNull();
    expect(await loadKeywordSnapshot({ dir, key })).toBeNull();
    // The GCM tag authenticates an encrypted payload (no checksum in its header); one altered byte is refused.
    expect(bytes.includes('"sha256"')).toBe(false);
    expect(readFileSync(join(dir, "keywords.bm25")).includes('"sha256"')).toBe(true);
    const altered = Buffer.from(bytes);
    altered[altered.length - 200]! ^= 0x01;
    writeFileSync(join(secret, "keywords.bm25"), altered);
    expect(await loadKeywordSnapshot({ dir: secret, key })).toBeNull();
  });

  it("are ignored when missing, altered, truncated or built by another tokenizer", async () => {
    const index = new Bm25Index();
    for (let i = 0; i < 200; i++) index.upsert(i, `invoice ${i} refund customer`);
    const dir = tempDir();
    expect(await loadKeywordSnapshot({ dir })).toBeNull();
    await saveKeywordSnapshot(index, { dir }, 7);
    const file = join(dir, "keywords.bm25");
    const good = readFileSync(file);
    expect(await loadKeywordSnapshot({ dir }, { tokenizer: { stem: false } })).toBeNull();
    const fewerStopWords = new Set([...ENGLISH_STOP_WORDS].filter((w) => w !== "the"));
    expect(await loadKeywordSnapshot({ dir }, { tokenizer: { stopWords: fewerStopWords } })).toBeNull();
    expect(
      await loadKeywordSnapshot({ dir }, { tokenizer: { stopWords: ENGLISH_STOP_WORDS } }),
    ).not.toBeNull();
    const flipped = Buffer.from(good);
    flipped[flipped.length - 100]! ^= 0xff;
    writeFileSync(file, flipped);
    expect(await loadKeywordSnapshot({ dir })).toBeNull();
    writeFileSync(file, good.subarray(0, good.length - 10));
    expect(await loadKeywordSnapshot({ dir })).toBeNull();
    writeFileSync(file, "torn");
    expect(await loadKeywordSnapshot({ dir })).toBeNull();
    writeFileSync(file, good);
    expect((await loadKeywordSnapshot({ dir }))?.index.size).toBe(200);
  });

  it("refuse payloads whose arrays do not add up", async () => {
    const index = new Bm25Index();
    index.upsert(1, "bravo alpha");
    index.upsert(2, "bravo charlie");
    const payload = encodeBm25(index);
    await expect(decodeBm25(payload.subarray(0, payload.length - 1))).rejects.toThrow(RangeError);
    const swapped = Buffer.from(payload);
    // The first term ("bravo", in documents 1 and 2) given labels out of order; the labels follow the
    // 48-byte fixed part and the term sizes.
    const frozen = index.freeze();
    expect(frozen.list(0).labels.subarray(0, frozen.list(0).size)).toEqual(new Uint32Array([1, 2]));
    const labelsAt = 48 + 4 * frozen.termCount;
    frozen.release();
    swapped.writeUInt32LE(9, labelsAt);
    swapped.writeUInt32LE(9, labelsAt + 4);
    await expect(decodeBm25(swapped)).rejects.toThrow(RangeError);
    expect((await Bm25Index.restore(await decodeBm25(payload))).search("bravo", 5)).toHaveLength(2);
  });

  it("encode in slices between turns of the event loop, holding the index as it was when frozen", async () => {
    const index = new Bm25Index();
    const twin = new Bm25Index();
    // Identifiers make one term each: 40,000 terms are three slices.
    for (const ix of [index, twin])
      for (let i = 0; i < 20_000; i++) ix.upsert(i + 1, `ticket t${i} id${i * 7}`);
    const whole = encodeBm25(index);
    let turns = 0;
    const counting = () => {
      if (encoding) {
        turns++;
        setImmediate(counting);
      }
    };
    let encoding = true;
    setImmediate(counting);
    const sliced = await encodeBm25Sliced(index.freeze());
    encoding = false;
    expect(sliced.equals(whole)).toBe(true);
    expect(turns).toBeGreaterThanOrEqual(4); // terms (3 slices), documents (2), posting lists (3)

    // Writes in every turn while it encodes: re-indexed, removed and new documents, new terms.
    const random = seededRandom(21);
    let changes = 0;
    const frozen = index.freeze();
    const writing = encodeBm25Sliced(frozen);
    let done = false;
    const write = () => {
      if (done) return;
      const label = 1 + Math.floor(random() * 20_000);
      if (changes % 3 === 0) index.remove(label);
      else if (changes % 3 === 1) index.upsert(label, `ticket reopened r${changes} id${label * 7}`);
      else index.upsert(40_000 + changes, `ticket t${label} fresh${changes}`);
      changes++;
      setImmediate(write);
    };
    setImmediate(write);
    const payload = await writing;
    done = true;
    frozen.release();
    expect(changes).toBeGreaterThanOrEqual(4);
    // What it restores answers as the unchanged twin, and removing everything leaves no posting behind
    // (every document's term list matches the postings).
    const restored = await Bm25Index.restore(await decodeBm25(payload));
    for (const q of ["ticket", "t17 id119", "reopened", "fresh5", "id77777"])
      expect(restored.search(q, 50)).toEqual(twin.search(q, 50));
    for (const label of [...restored.labels()]) restored.remove(label);
    expect(restored.search("ticket", 10)).toEqual([]);
    expect(restored.size).toBe(0);
  });

  it("save the state at the call while every turn of the event loop changes the index", async () => {
    const random = seededRandom(8);
    const index = new Bm25Index();
    const twin = new Bm25Index();
    churn([index, twin], random, 3_000);
    for (const ix of [index, twin])
      for (let i = 0; i < 20_000; i++) ix.upsert(1_000 + i, `memo m${i} cust_${i % 97}`);
    const dir = tempDir();
    let changes = 0;
    let writing = true;
    const write = () => {
      if (!writing) return;
      churn([index], random, 5);
      index.upsert(50_000 + changes, `memo m${changes} churned`);
      index.remove(1_000 + ((changes * 7919) % 20_000));
      changes++;
      setImmediate(write);
    };
    const saving = saveKeywordSnapshot(index, { dir }, 6);
    setImmediate(write);
    await saving;
    writing = false;
    expect(changes).toBeGreaterThan(3);
    const loaded = (await loadKeywordSnapshot({ dir }))!.index;
    expect(loaded.size).toBe(twin.size);
    expect(answers(loaded)).toEqual(answers(twin));
    expect(loaded.search("churned", 10)).toEqual([]);
    expect(loaded.search("memo m123", 5)).toEqual(twin.search("memo m123", 5));
    // It keeps changing in step with the twin (the document table and postings agree).
    churn([loaded, twin], seededRandom(9), 2_000);
    for (let i = 0; i < 20_000; i += 3) for (const ix of [loaded, twin]) ix.remove(1_000 + i);
    expect(answers(loaded)).toEqual(answers(twin));
    expect(loaded.search("memo cust_5", 40)).toEqual(twin.search("memo cust_5", 40));
  });

  it("write and load payloads large enough for a worker thread, plaintext and encrypted", async () => {
    const random = seededRandom(31);
    const index = new Bm25Index();
    // ~21 MB of payload (1.8M postings, 150k document records): past the 16 MiB worker threshold.
    for (let i = 0; i < 150_000; i++)
      index.upsert(i + 1, `${randomText(random)} ${randomText(random)} n${i % 5000}`);
    const plainDir = tempDir();
    await saveKeywordSnapshot(index, { dir: plainDir }, 3);
    const file = join(plainDir, "keywords.bm25");
    expect(readFileSync(file).length).toBeGreaterThan(16 << 20);
    const key = randomBytes(32);
    const encDir = tempDir();
    await saveKeywordSnapshot(index, { dir: encDir, key }, 4);
    for (const [target, generation] of [
      [{ dir: plainDir }, 3],
      [{ dir: encDir, key }, 4],
    ] as const) {
      const loaded = await loadKeywordSnapshot(target);
      expect(loaded?.generation).toBe(generation);
      expect(answers(loaded!.index)).toEqual(answers(index));
      expect(loaded!.index.search("n4242", 40)).toEqual(index.search("n4242", 40));
    }
    // The checksum filled in after the payload was written covers it: one flipped byte is refused.
    const bytes = readFileSync(file);
    bytes[bytes.length - 1000]! ^= 1;
    writeFileSync(file, bytes);
    expect(await loadKeywordSnapshot({ dir: plainDir })).toBeNull();
    expect(readFileSync(join(encDir, "keywords.bm25")).includes(Buffer.from("invoice"))).toBe(false);
  });
});
