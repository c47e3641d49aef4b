/**
 * Keyword snapshots on disk: a {@link Bm25Index}'s postings and document term lists in one binary
 * file (`keywords.bm25`), so a namespace reopens without tokenizing every memory again (at 100k
 * memories that was half of a reopen). The file is written to a temp file, flushed and renamed into
 * place, so it is either the previous snapshot or the new one; it names the storage generation it
 * includes, the tokenizer it was built with ({@link tokenizerSignature}) and a SHA-256 of its
 * payload, and one that does not match is ignored (the index is rebuilt from the memories). On
 * encrypted storage the payload is AES-256-GCM encrypted in memory (`snapshot-cipher.ts`): the terms
 * of the memories never reach the disk in plaintext, and the GCM tag authenticates the payload in
 * place of the checksum.
 *
 * File: `MAGIC ‖ u32 header length ‖ header (JSON) ‖ payload`. Payload (little-endian), each array
 * aligned to its element size: `f64 totalLength, f64 minLength`, eight `u32` (termCount, docCount,
 * postingCount, arenaLength, termBytes, three reserved zeros), then `u32 sizes[termCount], labels[postingCount],
 * docLabels[docCount], docOffsets[docCount], arena[arenaLength]`, `u16 lengths[postingCount]`
 * (padded to 4 bytes), `u8 tfs[postingCount], maxTf[termCount]`, and the terms in UTF-8, each ended
 * by a NUL (a term never holds one: terms are runs of letters and digits).
 *
 * @module
 */
import { mkdirSync, rmSync } from "node:fs";
import { open, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { cryptFile } from "../util/crypto-jobs.js";
import { nextTurn } from "../util/file-chunks.js";
import { Bm25Index, type Bm25IndexOptions, type Bm25State } from "./bm25.js";
import type { Bm25Freeze } from "./bm25-freeze.js";
import { PostingList } from "./postings.js";
import { appendEncrypted, decryptBytes } from "./snapshot-cipher.js";
import { tokenizerSignature } from "./tokenize.js";

const FILE = "keywords.bm25";
const MAGIC = Buffer.from("LOCI-BM25-1\n");
const FIXED = 16 + 8 * 4;
/** Terms or posting lists handled per turn of the event loop (a million terms must not stall it). */
const LISTS_PER_TURN = 16_384;
/** Postings copied per turn of the event loop while encoding (a millisecond or two). */
const POSTINGS_PER_TURN = 262_144;
/** Posting lists built per turn while decoding (three typed-array views each). */
const DECODED_PER_TURN = 4_096;

/** What a keyword snapshot's header records. */
interface Header {
  /** Storage generation the snapshot includes. */
  generation: number;
  /** {@link tokenizerSignature} of the index's tokenizer. */
  tokenizer: string;
  documents: number;
  /**
   * SHA-256 of a plaintext payload (encrypted ones written before this was left out have it too, of
   * the encrypted payload); decryption authenticates an encrypted one.
   */
  sha256?: string;
  encrypted: boolean;
}

/** Where a keyword snapshot goes; `key` encrypts it (encrypted storage). */
export interface KeywordSnapshotTarget {
  dir: string;
  key?: Buffer | null;
}

const pad4 = (n: number) => (n + 3) & ~3;

/** The header's checksum until the payload is hashed (as long as a SHA-256 in hex, so it is overwritten in place). */
const PENDING_SHA256 = "0".repeat(64);

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

/** SHA-256 (hex) of bytes `[start, end)` of `file`: on a worker thread that reads the file itself when large. */
async function sha256Of(file: string, start: number, end: number): Promise<string> {
  return (await cryptFile({ spec: { kind: "sha256" }, src: file, start, end })).toString("hex");
}

/**
 * Writes `index` as the keyword snapshot of `target.dir` at storage `generation` (replacing the
 * previous one only once the new file is complete and flushed). The index is frozen when this is
 * called and encoded in slices ({@link encodeBm25Sliced}) while writes go on, so the file holds the
 * index as it stood then, at `generation` or later; hashing, encryption and I/O run a chunk at a time.
 */
export async function saveKeywordSnapshot(
  index: Bm25Index,
  target: KeywordSnapshotTarget,
  generation: number,
): Promise<void> {
  const frozen = index.freeze();
  let plain: Buffer;
  try {
    plain = await encodeBm25Sliced(frozen);
  } finally {
    frozen.release();
  }
  const documents = frozen.documents;
  const header: Header = {
    generation,
    tokenizer: tokenizerSignature(index.tokenizer),
    documents,
    encrypted: Boolean(target.key),
    // Filled in once the payload is in the file (hashed there, by a worker when large).
    ...(target.key ? {} : { sha256: PENDING_SHA256 }),
  };
  // Padded so that the payload starts 8-byte aligned in the file (loading then needs no copy).
  let json = Buffer.from(JSON.stringify(header));
  json = Buffer.concat([json, Buffer.alloc((8 - ((MAGIC.length + 4 + json.length) % 8)) % 8, " ")]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);
  mkdirSync(target.dir, { recursive: true });
  const tmp = join(target.dir, `${FILE}.tmp`);
  const start = MAGIC.length + 4 + json.length;
  const fh = await open(tmp, "w");
  try {
    // The payload is handed to the worker that encrypts it and appends it to the file, or written as
    // it is and hashed from the file: a copy of hundreds of megabytes held the event loop for 0.3–0.8 s.
    await fh.writev(target.key ? [MAGIC, length, json] : [MAGIC, length, json, plain]);
    if (target.key) await appendEncrypted(plain, target.key, tmp, { transfer: true });
    else {
      const digest = Buffer.from(await sha256Of(tmp, start, start + plain.length));
      await fh.write(digest, 0, digest.length, MAGIC.length + 4 + json.lastIndexOf(PENDING_SHA256));
    }
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(target.dir, FILE));
}

/**
 * The keyword index stored in `target.dir` with the generation it includes; `null` when there is
 * none, or it is unusable: written by another tokenizer than `opts.tokenizer`, encrypted differently
 * than `target.key` says, altered, truncated or inconsistent.
 */
export async function loadKeywordSnapshot(
  target: KeywordSnapshotTarget,
  opts: Bm25IndexOptions = {},
): Promise<{ index: Bm25Index; generation: number } | null> {
  const path = join(target.dir, FILE);
  let file: Buffer;
  try {
    file = await readFile(path);
  } catch {
    return null;
  }
  try {
    if (!file.subarray(0, MAGIC.length).equals(MAGIC)) return null;
    const headerEnd = MAGIC.length + 4 + file.readUInt32LE(MAGIC.length);
    const header = JSON.parse(file.subarray(MAGIC.length + 4, headerEnd).toString("utf8")) as Header;
    if (header.tokenizer !== tokenizerSignature(opts.tokenizer)) return null;
    if (header.encrypted !== Boolean(target.key)) return null;
    const stored = file.subarray(headerEnd);
    if (header.sha256 !== undefined) {
      // Hashed from the file, not from memory (see saveKeywordSnapshot); a file replaced meanwhile
      // does not match the header read before.
      if ((await sha256Of(path, headerEnd, file.length)) !== header.sha256) return null;
    } else if (!header.encrypted) return null;
    // The file's buffer is handed to the worker that decrypts it (it is not used afterwards).
    const plain = target.key ? await decryptBytes(stored, target.key, { transfer: true }) : stored;
    if (!plain) return null;
    const index = await Bm25Index.restore(await decodeBm25(plain), opts);
    if (index.size !== header.documents) return null;
    return { index, generation: header.generation };
  } catch {
    return null;
  }
}

/** Removes the temp file of an interrupted {@link saveKeywordSnapshot} (ignoring errors). */
export function discardKeywordTemp(dir: string): void {
  try {
    rmSync(join(dir, `${FILE}.tmp`), { force: true });
  } catch {
    // nothing to remove, or the directory is unreachable
  }
}
