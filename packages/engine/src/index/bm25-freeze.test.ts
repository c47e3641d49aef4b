/**
 * Tests of the copy-on-write freeze of Bm25Index (bm25-freeze.ts, doc-terms.ts): a random index
 * is frozen and encoded in slices (encodeBm25Sliced) while random writes hit the live index between
 * every step; what the payload restores must be exactly the index at the freeze (compared with a twin
 * that received only the operations before it).
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../util/random.js";
import { Bm25Index, type Bm25State } from "./bm25.js";
import {
  decodeBm25,
  encodeBm25,
  encodeBm25Sliced,
  loadKeywordSnapshot,
  saveKeywordSnapshot,
} from "./bm25-snapshot.js";
import { DocTermTable } from "./doc-terms.js";

const COMMON =
  "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu".split(
    " ",
  );

type Op = { kind: "upsert"; label: number; text: string } | { kind: "remove"; label: number };

function apply(index: Bm25Index, op: Op): void {
  if (op.kind === "upsert") index.upsert(op.label, op.text);
  else index.remove(op.label);
}

/** A document: a few common words (repeated: tf > 1), its own identifier, a group term, maybe fresh terms. */
function text(random: () => number, label: number, fresh: string | null): string {
  const words: string[] = [];
  const n = 1 + Math.floor(random() * 10);
  for (let i = 0; i < n; i++) words.push(COMMON[Math.floor(random() * random() * COMMON.length)]!);
  if (random() < 0.9) words.push(`id${label}x${Math.floor(random() * 3)}`);
  words.push(`g${Math.floor(random() * 3000)}`);
  if (fresh) words.push(fresh, `${fresh}b`);
  if (random() < 0.02) return ""; // no terms at all
  return words.join(" ");
}

/** The live writer: random upserts (appends, inserts in the middle, re-indexes with new terms), removals, delete + re-insert. */
class Writer {
  readonly random: () => number;
  /** Labels used so far (held or not), to pick existing ones. */
  readonly used: number[] = [];
  maxLabel = 0;
  fresh = 0;
  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  #pick(): number {
    return this.used[Math.floor(this.random() * this.used.length)] ?? 0;
  }

  next(): Op[] {
    const r = this.random();
    const freshTerm = this.random() < 0.3 ? `new${this.fresh++}q` : null;
    if (r < 0.3) {
      const label = this.#pick();
      return [{ kind: "upsert", label, text: text(this.random, label, freshTerm) }];
    }
    if (r < 0.5) return [{ kind: "remove", label: this.#pick() }];
    if (r < 0.65) {
      this.maxLabel += 1 + Math.floor(this.random() * 3);
      const label = this.maxLabel;
      this.used.push(label);
      return [{ kind: "upsert", label, text: text(this.random, label, freshTerm) }];
    }
    if (r < 0.72) {
      // Just below the highest label: inserted before the last posting of the lists (not an append).
      this.maxLabel += 2;
      const top = this.maxLabel;
      this.used.push(top, top - 1);
      return [
        { kind: "upsert", label: top, text: text(this.random, top, null) },
        { kind: "upsert", label: top - 1, text: text(this.random, top - 1, freshTerm) },
      ];
    }
    if (r < 0.8) {
      // A label in a gap: inserted in the middle of the lists.
      const label = Math.floor(this.random() * this.maxLabel);
      this.used.push(label);
      return [{ kind: "upsert", label, text: text(this.random, label, freshTerm) }];
    }
    // Removed and added again (moves to the end of the document map).
    const label = this.#pick();
    return [
      { kind: "remove", label },
      { kind: "upsert", label, text: text(this.random, label, freshTerm) },
    ];
  }
}

/** A comparable description of a state: terms, every list's postings, each document's record. */
function describeState(s: Bm25State) {
  const lists = s.lists.map((l) => ({
    labels: l.labels.subarray(0, l.size),
    tfs: l.tfs.subarray(0, l.size),
    lengths: l.lengths.subarray(0, l.size),
    maxTf: l.maxTf,
  }));
  const docs = new Map<number, Uint32Array>();
  for (let i = 0; i < s.docs.labels.length; i++) {
    const at = s.docs.offsets[i]!;
    docs.set(s.docs.labels[i]!, s.docs.arena.subarray(at, at + 2 + s.docs.arena[at + 1]!));
  }
  return { terms: [...s.terms], lists, docs, totalLength: s.totalLength, minLength: s.minLength };
}

const bytes = (a: Uint32Array | Uint16Array | Uint8Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const same = (a: Uint32Array | Uint16Array | Uint8Array, b: Uint32Array | Uint16Array | Uint8Array) =>
  a.length === b.length && bytes(a).equals(bytes(b));

/** First difference of two described states (`null`: equal): deep equality on huge structures is slow. */
function difference(a: ReturnType<typeof describeState>, b: ReturnType<typeof describeState>): string | null {
  if (a.terms.length !== b.terms.length) return `terms ${a.terms.length} vs ${b.terms.length}`;
  for (let i = 0; i < a.terms.length; i++) if (a.terms[i] !== b.terms[i]) return `term ${i}`;
  for (let i = 0; i < a.lists.length; i++) {
    const x = a.lists[i]!;
    const y = b.lists[i]!;
    if (
      !same(x.labels, y.labels) ||
      !same(x.tfs, y.tfs) ||
      !same(x.lengths, y.lengths) ||
      x.maxTf !== y.maxTf
    )
      return `list ${i} (${a.terms[i]}): [${x.labels.slice(0, 20)}] size ${x.labels.length} maxTf ${x.maxTf} vs [${y.labels.slice(0, 20)}] size ${y.labels.length} maxTf ${y.maxTf}`;
  }
  if (a.docs.size !== b.docs.size) return `docs ${a.docs.size} vs ${b.docs.size}`;
  for (const [label, rec] of a.docs) {
    const other = b.docs.get(label);
    if (!other || !same(rec, other)) return `doc ${label}: [${rec}] vs [${other}]`;
  }
  if (a.totalLength !== b.totalLength) return `totalLength ${a.totalLength} vs ${b.totalLength}`;
  if (a.minLength !== b.minLength) return `minLength ${a.minLength} vs ${b.minLength}`;
  return null;
}

const QUERIES = (random: () => number, maxLabel: number) => [
  "alpha",
  "alpha bravo",
  "charlie delta echo",
  "zulu yankee",
  "kilo lima mike november",
  ...Array.from({ length: 12 }, () => {
    const l = Math.floor(random() * maxLabel);
    return `id${l}x0 id${l}x1 g${Math.floor(random() * 3000)} ${COMMON[Math.floor(random() * COMMON.length)]}`;
  }),
  "new1q new5q new20qb",
];

function searches(index: Bm25Index, queries: string[]): string {
  const k = index.size + 10;
  return JSON.stringify(queries.map((q) => index.search(q, k)));
}

/** Runs `encodeBm25Sliced(frozen)` applying `burst()` in every turn of the event loop until it is done. */
async function encodeWhileWriting(
  frozen: ReturnType<Bm25Index["freeze"]>,
  burst: () => void,
): Promise<{ payload: Buffer; turns: number }> {
  let done = false;
  let turns = 0;
  const tick = () => {
    if (done) return;
    turns++;
    burst();
    setImmediate(tick);
  };
  setImmediate(tick);
  try {
    return { payload: await encodeBm25Sliced(frozen), turns };
  } finally {
    done = true;
  }
}

/** Builds an index and its twin with `docs` documents and some churn (holes, shrunk lists, stale maxTf). */
function build(seed: number, docs: number, churn: number) {
  const writer = new Writer(seed);
  const index = new Bm25Index();
  const twin = new Bm25Index();
  const log: Op[] = [];
  for (let i = 0; i < docs; i++) {
    writer.maxLabel += 1 + Math.floor(writer.random() * 3);
    const label = writer.maxLabel;
    writer.used.push(label);
    log.push({ kind: "upsert", label, text: text(writer.random, label, null) });
  }
  for (let i = 0; i < churn; i++) log.push(...writer.next());
  for (const op of log) {
    apply(index, op);
    apply(twin, op);
  }
  return { writer, index, twin, log };
}

async function expectRestoresTwin(payload: Buffer, twin: Bm25Index, random: () => number, maxLabel: number) {
  const restored = await Bm25Index.restore(await decodeBm25(payload));
  const want = describeState(await decodeBm25(encodeBm25(twin)));
  const got = describeState(await decodeBm25(payload));
  expect(difference(got, want)).toBeNull();
  expect(restored.size).toBe(twin.size);
  expect([...restored.labels()].sort((a, b) => a - b)).toEqual([...twin.labels()].sort((a, b) => a - b));
  const queries = QUERIES(random, maxLabel);
  expect(searches(restored, queries)).toBe(searches(twin, queries));
  // Every document's term list matches the postings: removing all leaves every list empty.
  for (const label of [...restored.labels()]) restored.remove(label);
  expect(restored.size).toBe(0);
  for (const q of queries) expect(restored.search(q, 10)).toEqual([]);
  const left = restored.freeze();
  let postings = 0;
  for (let id = 0; id < left.termCount; id++) postings += left.list(id).size;
  left.release();
  expect(postings).toBe(0);
}

describe("Bm25Index.freeze under writes between every encoding step", () => {
  it("restores exactly the index at the freeze (many terms, documents and postings; random writes every turn)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 20_000, max: 40_000 }),
        fc.constantFrom(1, 40, 600, 3_000),
        async (seed, docs, burstSize) => {
          const { writer, index, twin } = build(seed, docs, Math.floor(docs / 2));
          const frozen = index.freeze();
          const { turns } = await encodeWhileWriting(frozen, () => {
            const n = 1 + Math.floor(writer.random() * burstSize);
            for (let i = 0; i < n; i++) for (const op of writer.next()) apply(index, op);
          }).then(async (r) => {
            frozen.release();
            await expectRestoresTwin(r.payload, twin, writer.random, writer.maxLabel);
            return r;
          });
          expect(turns).toBeGreaterThanOrEqual(3); // terms, documents and lists each span two steps
        },
      ),
      { numRuns: 3, endOnFailure: true },
    );
  }, 60_000);

  it("long lists (past POSTINGS_PER_TURN) changed in place: inserts in the middle, removals, shrink and growth", async () => {
    const random = seededRandom(77);
    const index = new Bm25Index();
    const twin = new Bm25Index();
    // 60,000 documents of 6 common words each: ~300k postings over 26 lists, several list steps.
    for (let i = 0; i < 60_000; i++) {
      const t = Array.from({ length: 6 }, () => COMMON[Math.floor(random() * 6)]!).join(" ");
      for (const ix of [index, twin]) ix.upsert(2 * i + 1, `${t} id${i}`);
    }
    const frozen = index.freeze();
    let k = 0;
    const { payload } = await encodeWhileWriting(frozen, () => {
      // Remove many (lists shrink: new arrays), insert in gaps (copyWithin), append, re-index.
      for (let j = 0; j < 3_000; j++, k++) {
        const r = random();
        if (r < 0.4) index.remove(2 * Math.floor(random() * 60_000) + 1);
        else if (r < 0.7) index.upsert(2 * Math.floor(random() * 60_000), `alpha bravo charlie fresh${k}`);
        else if (r < 0.85) index.upsert(200_000 + k, "alpha alpha alpha delta");
        else index.upsert(2 * Math.floor(random() * 60_000) + 1, `echo foxtrot alpha new${k}`);
      }
    });
    frozen.release();
    await expectRestoresTwin(payload, twin, random, 120_000);
  }, 30_000);

  it("two overlapping freezes each hold their own moment; releasing one mid-encode leaves the other intact", async () => {
    const { writer, index, twin, log } = build(5, 30_000, 10_000);
    const burst = () => {
      for (let i = 0; i < 300; i++)
        for (const op of writer.next()) {
          apply(index, op);
          log.push(op);
        }
    };
    const a = index.freeze();
    let b: ReturnType<Bm25Index["freeze"]> | null = null;
    let bDone: Promise<Buffer> | null = null;
    let twinB: Bm25Index | null = null;
    let c: ReturnType<Bm25Index["freeze"]> | null = null;
    let turn = 0;
    const { payload: pa } = await encodeWhileWriting(a, () => {
      turn++;
      burst();
      if (turn === 2) {
        // A second freeze (and its twin: every operation so far).
        twinB = new Bm25Index();
        for (const op of log) apply(twinB, op);
        b = index.freeze();
        bDone = encodeBm25Sliced(b);
        bDone.catch(() => {}); // awaited below; no unhandled rejection if A fails first
        c = index.freeze();
      }
      if (turn === 4) c?.release(); // released before it was read at all
    });
    a.release();
    await expectRestoresTwin(pa, twin, writer.random, writer.maxLabel);
    expect(b).not.toBeNull();
    // Keep writing until B is done too.
    let done = false;
    const more = () => {
      if (done) return;
      burst();
      setImmediate(more);
    };
    setImmediate(more);
    const pb = await bDone!;
    done = true;
    b!.release();
    await expectRestoresTwin(pb, twinB!, writer.random, writer.maxLabel);
  }, 30_000);

  it("re-indexing a document with only new terms, and lists only appended to, between the term and list passes", async () => {
    const index = new Bm25Index();
    const twin = new Bm25Index();
    for (let i = 0; i < 40_000; i++)
      for (const ix of [index, twin]) ix.upsert(i * 2, `common t${i} u${i % 7}`);
    const frozen = index.freeze();
    let k = 0;
    const { payload } = await encodeWhileWriting(frozen, () => {
      for (let j = 0; j < 2_000; j++, k++) {
        index.upsert(100_000 + k, `common u${k % 7} t${k % 40_000}`); // appends to frozen lists
        index.upsert((k * 7919) % 80_000, `brandnew${k} other${k}`); // only new terms (ids >= termCount)
        if (k % 5 === 0) index.remove(100_000 + k); // removes the appended posting (view -> copy)
        // Just before the only (last) posting of an untouched frozen list: an insert, not an append.
        const i = 1 + ((k * 104_729) % 39_999);
        index.upsert(2 * i - 1, `t${i} later${k}`);
      }
    });
    frozen.release();
    await expectRestoresTwin(payload, twin, seededRandom(1), 80_000);
  }, 30_000);
});

describe("DocTermTable.freeze with compaction while labels are collected and copied", () => {
  /** Models the arena's fill to know when a compaction ran (the table keeps it private). */
  class Model {
    cap = 1024;
    used = 0;
    holes = 0;
    records = new Map<number, number[]>();
    compactions = 0;
    set(label: number, rec: number[]) {
      this.del(label);
      const need = rec.length;
      if (this.used + need > this.cap) {
        if (this.holes * 2 > this.used && this.used > 1 << 16) {
          this.used -= this.holes;
          this.holes = 0;
          this.compactions++;
        }
        while (this.used + need > this.cap) this.cap *= 2;
      }
      this.used += need;
      this.records.set(label, rec);
    }
    del(label: number) {
      const r = this.records.get(label);
      if (!r) return;
      this.holes += r.length;
      this.records.delete(label);
    }
  }

  it("copies the records at the freeze however the labels move and the arena compacts between steps", () => {
    let compactions = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 26_000, max: 40_000 }),
        (seed, n) => {
          const random = seededRandom(seed);
          const table = new DocTermTable();
          const model = new Model();
          const set = (label: number) => {
            const ids = Array.from({ length: Math.floor(random() * 8) }, () => Math.floor(random() * 1e6));
            const length = ids.length + Math.floor(random() * 3);
            table.set(label, length, ids);
            model.set(label, [length, ids.length, ...ids]);
          };
          const del = (label: number) => {
            table.delete(label);
            model.del(label);
          };
          for (let i = 0; i < n; i++) set(i);
          for (let i = 0; i < n / 3; i++) del(Math.floor(random() * n));
          // Churn until the arena is nearly full of records half of which are holes: the next few
          // thousand sets (between steps) compact it, rewriting every offset while labels are collected.
          let ready = false;
          for (let guard = 0; guard < 40 * n && !ready; guard++) {
            ready = model.holes * 2 > model.used * 1.05 && model.cap - model.used < 4_000;
            if (!ready) {
              const label = Math.floor(random() * n * 1.2);
              if (random() < 0.3) del(label);
              else set(label);
            }
          }
          expect(ready).toBe(true);
          const want = new Map(model.records);
          const frozen = table.freeze();
          expect(frozen.size).toBe(want.size);
          const dst = {
            labels: new Uint32Array(frozen.size),
            offsets: new Uint32Array(frozen.size),
            arena: new Uint32Array(frozen.liveLength),
          };
          let steps = 0;
          let compactedDuring = 0;
          for (const _ of frozen.copySteps(dst)) {
            steps++;
            const before = model.compactions;
            // Delete + re-insert of labels not yet collected and already collected, new labels, deletes:
            // enough holes that the arena compacts (offsets rewritten) now and then.
            const burst = 3_000 + Math.floor(random() * 3_000); // fewer than a step collects (see the liveness test)
            for (let i = 0; i < burst; i++) {
              const r = random();
              const label = Math.floor(random() * n * 1.2);
              if (r < 0.4) del(label);
              else if (r < 0.8) set(label);
              else {
                del(label);
                set(label);
              }
            }
            compactedDuring += model.compactions - before;
            // The first burst comes between the first records' copies and the rest (over 16,384 of them).
            if (steps === 1) expect(model.compactions - before).toBeGreaterThan(0);
          }
          frozen.release();
          expect(steps).toBeGreaterThanOrEqual(1);
          const got = new Map<number, number[]>();
          for (let i = 0; i < dst.labels.length; i++) {
            const at = dst.offsets[i]!;
            got.set(dst.labels[i]!, Array.from(dst.arena.subarray(at, at + 2 + dst.arena[at + 1]!)));
          }
          expect(got.size).toBe(want.size);
          for (const [label, rec] of want) expect(got.get(label)).toEqual(rec);
          // The live table still agrees with the model.
          expect(table.size).toBe(model.records.size);
          expect(table.liveLength).toBe(model.used - model.holes);
          compactions += compactedDuring;
          expect(compactedDuring).toBeGreaterThan(0);
        },
      ),
      { numRuns: 4 },
    );
    expect(compactions).toBeGreaterThan(0);
  }, 60_000);
});

describe("saveKeywordSnapshot while writes go on (payload written, then hashed from the file)", () => {
  it("writes the index at the call, plaintext (checksum filled in place) and encrypted, past the worker threshold", async () => {
    const random = seededRandom(99);
    const index = new Bm25Index();
    // ~18 MB of payload: the hash (plaintext) and the encryption (handed-over buffer) run on workers.
    for (let i = 0; i < 110_000; i++) {
      const words = Array.from({ length: 14 }, () => COMMON[Math.floor(random() * COMMON.length)]!);
      index.upsert(2 * i + 1, `${words.join(" ")} id${i} g${i % 4000}`);
    }
    const dir = mkdtempSync(join(tmpdir(), "freeze-review-"));
    try {
      for (const key of [null, randomBytes(32)]) {
        const target = { dir, key };
        // The state at the call (encodeBm25 freezes and encodes synchronously: nothing runs in between).
        const want = describeState(await decodeBm25(encodeBm25(index)));
        const documents = index.size;
        const saving = saveKeywordSnapshot(index, target, 42);
        let done = false;
        let k = 0;
        let turns = 0;
        const write = () => {
          if (done) return;
          turns++;
          for (let j = 0; j < 500; j++, k++) {
            const label = 2 * Math.floor(random() * 110_000) + (k % 2);
            if (k % 3 === 0) index.remove(label);
            else index.upsert(label, `alpha zulu later${k} id${k}`);
          }
          setImmediate(write);
        };
        setImmediate(write);
        await saving;
        done = true;
        expect(turns).toBeGreaterThan(3);
        const file = readFileSync(join(dir, "keywords.bm25"));
        expect(file.subarray(0, 12).toString()).toBe("LOCI-BM25-1\n");
        const headerEnd = 16 + file.readUInt32LE(12);
        expect(headerEnd % 8).toBe(0);
        const header = JSON.parse(file.subarray(16, headerEnd).toString());
        expect(header).toMatchObject({ generation: 42, documents, encrypted: Boolean(key) });
        expect(file.length - headerEnd).toBeGreaterThan(16 << 20);
        if (key) expect(header.sha256).toBeUndefined();
        else {
          expect(header.sha256).toBe(createHash("sha256").update(file.subarray(headerEnd)).digest("hex"));
          expect(difference(describeState(await decodeBm25(file.subarray(headerEnd))), want)).toBeNull();
        }
        const loaded = await loadKeywordSnapshot(target);
        expect(loaded?.generation).toBe(42);
        expect(loaded!.index.size).toBe(documents);
        expect(difference(describeState(await decodeBm25(encodeBm25(loaded!.index))), want)).toBeNull();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("liveness of the label collection (live Map iteration across yields)", () => {
  // DocTermFreeze once collected the labels from the live Map, 16,384 a step: every label set between
  // steps (a new document, or a re-indexed one: delete + set moves it to the Map's end) lay ahead of the
  // iterator again, so with 16,384 such writes per turn the collection never ended. The labels are now
  // listed when it freezes.
  it("DocTermFreeze.copySteps ends under 16,384 re-indexed documents per step", () => {
    const table = new DocTermTable();
    for (let label = 0; label < 20_000; label++) table.set(label, 3, [label]);
    const frozen = table.freeze();
    const dst = {
      labels: new Uint32Array(20_000),
      offsets: new Uint32Array(20_000),
      arena: new Uint32Array(60_000),
    };
    let steps = 0;
    let next = 0;
    const steps$ = frozen.copySteps(dst);
    while (!steps$.next().done && steps < 200) {
      steps++;
      for (let i = 0; i < 16_384; i++, next = (next + 1) % 20_000) table.set(next, 4, [next, 1]);
    }
    frozen.release();
    expect(steps).toBeLessThan(3); // 20,000 records: two steps
  });

  it("encodeBm25Sliced ends while 16,384 documents are re-indexed every turn", async () => {
    const index = new Bm25Index();
    for (let i = 0; i < 20_000; i++) index.upsert(i, `memo m${i}`);
    const frozen = index.freeze();
    let turns = 0;
    let next = 0;
    let finished = false;
    const write = () => {
      if (finished || turns >= 25) return; // writes stop after 25 turns, or the test would never end
      turns++;
      for (let i = 0; i < 16_384; i++, next = (next + 1) % 20_000) index.upsert(next, `memo m${next} again`);
      setImmediate(write);
    };
    setImmediate(write);
    await encodeBm25Sliced(frozen);
    finished = true;
    const turnsToFinish = turns;
    frozen.release();
    expect(turnsToFinish).toBeLessThan(25); // a handful of steps without writes
  }, 30_000);
});
