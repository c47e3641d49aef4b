/**
 * Keyword snapshots on disk: a {@link Bm25Index}'s postings and document term lists in one binary
 * file (`keywords.bm25`), so a namespace reopens without tokenizing every memory again (at 100k
 * memories that was half of a reopen), in the format of `snapshot-file.ts` (temp file, flush,
 * rename; a SHA-256 or, on encrypted storage, AES-256-GCM: the terms of the memories never reach the
 * disk in plaintext). Its header names the storage generation it includes and the tokenizer it was
 * built with ({@link tokenizerSignature}); one that does not match is ignored (the index is rebuilt
 * from the memories).
 *
 * Payload (little-endian), each array
 * aligned to its element size: `f64 totalLength, f64 minLength`, eight `u32` (termCount, docCount,
 * postingCount, arenaLength, termBytes, three reserved zeros), then `u32 sizes[termCount], labels[postingCount],
 * docLabels[docCount], docOffsets[docCount], arena[arenaLength]`, `u16 lengths[postingCount]`
 * (padded to 4 bytes), `u8 tfs[postingCount], maxTf[termCount]`, and the terms in UTF-8, each ended
 * by a NUL (a term never holds one: terms are runs of letters and digits).
 *
 * @module
 */
import { nextTurn } from "../util/file-chunks.js";
import { Bm25Index, type Bm25IndexOptions, type Bm25State } from "./bm25.js";
import type { Bm25Freeze } from "./bm25-freeze.js";
import { PostingList } from "./postings.js";
import {
  discardSnapshotTempFile,
  readSnapshotFile,
  type SnapshotFileTarget,
  type SnapshotHeader,
  writeSnapshotFile,
} from "./snapshot-file.js";
import { tokenizerSignature } from "./tokenize.js";

const KIND = { file: "keywords.bm25", magic: Buffer.from("LOCI-BM25-1\n") };
const FIXED = 16 + 8 * 4;
/** Terms or posting lists handled per turn of the event loop (a million terms must not stall it). */
const LISTS_PER_TURN = 16_384;
/** Postings copied per turn of the event loop while encoding (a millisecond or two). */
const POSTINGS_PER_TURN = 262_144;
/** Posting lists built per turn while decoding (three typed-array views each). */
const DECODED_PER_TURN = 4_096;

/** What a keyword snapshot's header records. */
interface Header extends SnapshotHeader {
  /** {@link tokenizerSignature} of the index's tokenizer. */
  tokenizer: string;
  documents: number;
}

const pad4 = (n: number) => (n + 3) & ~3;

/** Lists this short are copied element by element (cheaper than a typed-array view and `set`). */
const SHORT = 16;

/** Copies `n` elements of `src` into `dst` at `at`. */
function copy(
  dst: Uint32Array | Uint16Array | Uint8Array,
  at: number,
  src: Uint32Array | Uint16Array | Uint8Array,
  n: number,
) {
  if (n <= SHORT) for (let i = 0; i < n; i++) dst[at + i] = src[i]!;
  else dst.set(src.subarray(0, n), at);
}

/**
 * The binary payload of an index's contents, in one synchronous pass. Indexes of many distinct terms
 * (identifiers, numbers) hold mostly one-posting lists, so the per-term work is kept to a few field
 * reads: 200,000 terms encode in tens of milliseconds.
 */
export function encodeBm25(index: Bm25Index): Buffer {
  const frozen = index.freeze();
  try {
    const steps = encodeSteps(frozen);
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
    }
  } finally {
    frozen.release();
  }
}

/**
 * The payload of a frozen index ({@link Bm25Index.freeze}) in steps of a few milliseconds each
 * ({@link LISTS_PER_TURN} terms or posting lists, {@link POSTINGS_PER_TURN} postings, a slice of the
 * document table), letting the event loop run between them: writes go on meanwhile, and the payload
 * is the index as it stood at the freeze.
 */
export async function encodeBm25Sliced(frozen: Bm25Freeze): Promise<Buffer> {
  const steps = encodeSteps(frozen);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await nextTurn();
  }
}

/** The encoder, pausing (`yield`) between steps of bounded work. */
function* encodeSteps(source: Bm25Freeze): Generator<void, Buffer, void> {
  const terms = source.termCount;
  if (source.terms.length < terms) throw new RangeError("keyword terms and lists differ");
  // The term text and the posting count, a slice of terms at a time: joining and encoding 200,000
  // terms at once took 40–55 ms of one turn.
  const termChunks: Buffer[] = [];
  let termBytes = 0;
  let postings = 0;
  for (let from = 0; from < terms; from += LISTS_PER_TURN) {
    if (from > 0) yield;
    const slice = source.terms.slice(from, Math.min(terms, from + LISTS_PER_TURN));
    for (const t of slice) if (t.includes("\0")) throw new RangeError("a keyword term holds a NUL character");
    const chunk = Buffer.from(`${slice.join("\0")}\0`, "utf8");
    termChunks.push(chunk);
    termBytes += chunk.length;
    for (let id = from; id < from + slice.length; id++) postings += source.list(id).size;
  }
  const docs = source.docs.size;
  const arena = source.docs.liveLength;
  const u32s = terms + postings + 2 * docs + arena;
  const size = FIXED + 4 * u32s + pad4(2 * postings) + postings + terms + termBytes;
  const buf = Buffer.alloc(size);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  view.setFloat64(0, source.totalLength, true);
  view.setFloat64(8, source.minLength, true);
  const counts = [terms, docs, postings, arena, termBytes, 0];
  counts.forEach((v, i) => {
    view.setUint32(16 + 4 * i, v, true);
  });
  let at = FIXED;
  const u32 = (n: number) => {
    const a = new Uint32Array(buf.buffer, buf.byteOffset + at, n);
    at += 4 * n;
    return a;
  };
  const sizes = u32(terms);
  const labels = u32(postings);
  yield* source.docs.copySteps({ labels: u32(docs), offsets: u32(docs), arena: u32(arena) });
  const lengths = new Uint16Array(buf.buffer, buf.byteOffset + at, postings);
  at += pad4(2 * postings);
  const tfs = buf.subarray(at, at + postings);
  at += postings;
  const maxTfs = buf.subarray(at, at + terms);
  at += terms;
  for (const chunk of termChunks) at += chunk.copy(buf, at);
  let p = 0;
  let sinceTurn = 0;
  for (let id = 0; id < terms; id++) {
    // Many short lists (identifiers) or a few long ones (common words in a million memories).
    if (sinceTurn >= POSTINGS_PER_TURN || (id > 0 && id % LISTS_PER_TURN === 0)) {
      source.readBelow(id);
      yield;
      sinceTurn = 0;
    }
    const l = source.list(id);
    const n = l.size;
    sizes[id] = n;
    maxTfs[id] = l.maxTf;
    copy(labels, p, l.labels, n);
    copy(lengths, p, l.lengths, n);
    copy(tfs, p, l.tfs, n);
    p += n;
    sinceTurn += n;
  }
  if (p !== postings) throw new RangeError("keyword postings changed under their freeze");
  return buf;
}

/**
 * The state a payload holds; its arrays are views into `payload` (copied first when it is not
 * 8-byte aligned). The posting lists are built {@link DECODED_PER_TURN} at a time, letting the event
 * loop run between. @throws {RangeError} when the payload is inconsistent
 */
export async function decodeBm25(payload: Uint8Array): Promise<Bm25State> {
  const buf = payload.byteOffset % 8 === 0 ? payload : new Uint8Array(payload);
  if (buf.length < FIXED) throw new RangeError("keyword snapshot shorter than its header");
  const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  const [terms, docs, postings, arena, termBytes] = [0, 1, 2, 3, 4].map((i) =>
    view.getUint32(16 + 4 * i, true),
  );
  const u32s = terms! + postings! + 2 * docs! + arena!;
  const size = FIXED + 4 * u32s + pad4(2 * postings!) + postings! + terms! + termBytes!;
  if (size !== buf.length) throw new RangeError(`keyword snapshot of ${buf.length} bytes, expected ${size}`);
  let at = FIXED;
  const u32 = (n: number) => {
    const a = new Uint32Array(buf.buffer, buf.byteOffset + at, n);
    at += 4 * n;
    return a;
  };
  const sizes = u32(terms!);
  const labels = u32(postings!);
  const docLabels = u32(docs!);
  const docOffsets = u32(docs!);
  const docArena = u32(arena!);
  const lengths = new Uint16Array(buf.buffer, buf.byteOffset + at, postings!);
  at += pad4(2 * postings!);
  const tfs = buf.subarray(at, at + postings!);
  at += postings!;
  const maxTfs = buf.subarray(at, at + terms!);
  at += terms!;
  const words = Buffer.from(buf.buffer, buf.byteOffset + at, termBytes!)
    .toString("utf8")
    .split("\0");
  if (words.pop() !== "" || words.length !== terms) throw new RangeError("keyword snapshot terms garbled");
  const lists = new Array<PostingList>(terms!);
  let p = 0;
  for (let id = 0; id < terms!; id++) {
    if (id > 0 && id % DECODED_PER_TURN === 0) await nextTurn();
    const n = sizes[id]!;
    if (p + n > postings!) throw new RangeError("keyword snapshot postings overrun");
    lists[id] = PostingList.restore(
      labels.subarray(p, p + n),
      tfs.subarray(p, p + n),
      lengths.subarray(p, p + n),
      maxTfs[id]!,
    );
    p += n;
  }
  if (p !== postings) throw new RangeError("keyword snapshot postings left over");
  return {
    terms: words,
    lists,
    docs: { labels: docLabels, offsets: docOffsets, arena: docArena },
    totalLength: view.getFloat64(0, true),
    minLength: view.getFloat64(8, true),
  };
}

/**
 * Writes `index` as the keyword snapshot of `target.dir` at storage `generation` (replacing the
 * previous one only once the new file is complete and flushed, `snapshot-file.ts`). The index is
 * frozen when this is called and encoded in slices ({@link encodeBm25Sliced}) while writes go on, so
 * the file holds the index as it stood then, at `generation` or later.
 */
export async function saveKeywordSnapshot(
  index: Bm25Index,
  target: SnapshotFileTarget,
  generation: number,
): Promise<void> {
  const frozen = index.freeze();
  let plain: Buffer;
  try {
    plain = await encodeBm25Sliced(frozen);
  } finally {
    frozen.release();
  }
  const header = { generation, tokenizer: tokenizerSignature(index.tokenizer), documents: frozen.documents };
  await writeSnapshotFile(KIND, target, header, plain);
}

/**
 * The keyword index stored in `target.dir` with the generation it includes; `null` when there is
 * none, or it is unusable: written by another tokenizer than `opts.tokenizer`, encrypted differently
 * than `target.key` says, altered, truncated or inconsistent.
 */
export async function loadKeywordSnapshot(
  target: SnapshotFileTarget,
  opts: Bm25IndexOptions = {},
): Promise<{ index: Bm25Index; generation: number } | null> {
  const read = await readSnapshotFile<Header>(KIND, target);
  if (!read || read.header.tokenizer !== tokenizerSignature(opts.tokenizer)) return null;
  try {
    const index = await Bm25Index.restore(await decodeBm25(read.payload), opts);
    return index.size === read.header.documents ? { index, generation: read.header.generation } : null;
  } catch {
    return null;
  }
}

/** Removes the temp file of an interrupted {@link saveKeywordSnapshot} (ignoring errors). */
export function discardKeywordTemp(dir: string): void {
  discardSnapshotTempFile(KIND, dir);
}
