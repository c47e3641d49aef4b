/**
 * Checks of hnswlib index files (the format hnswlib 0.8 writes, through hnswlib-node): a snapshot is
 * complete when its header names the expected element count and vector size and the file holds
 * exactly that many elements and link lists. hnswlib reports no write errors (a full disk leaves a
 * short file), so `saveSnapshot` (hnsw-snapshot.ts) checks what it wrote; checking the layout reads only the
 * header and the link-list tail, where loading the file into a second index to count its elements
 * would hold a full copy of the index in native memory until a garbage collection.
 *
 * Layout: a 96-byte header (six `size_t`: offsetLevel0, maxElements, curElementCount,
 * sizeDataPerElement, labelOffset, offsetData; `int` maxLevel; `uint32` enterpoint; `size_t` maxM,
 * maxM0, M; `double` mult; `size_t` efConstruction), then `curElementCount × sizeDataPerElement`
 * bytes of level-0 data, then per element a `uint32` byte length and its upper-level link lists.
 *
 * @module
 */
import { open, stat } from "node:fs/promises";
import { type CryptoRunOptions, cryptFile } from "../util/crypto-jobs.js";
import { readRange } from "../util/file-chunks.js";

const HEADER_BYTES = 96;

/** What a complete index file must hold. */
export interface IndexFileExpectation {
  /** Elements in the index (`getCurrentCount()`); absent: as many as the header says. */
  count?: number;
  dimensions: number;
}

/**
 * Rejects unless `file` is a complete hnswlib index file of `count` elements of `dimensions`. Without
 * `count`, of as many as its header gives (its size must bear them out), with a plausible capacity.
 */
export async function checkIndexFile(file: string, expected: IndexFileExpectation): Promise<void> {
  const fh = await open(file, "r");
  try {
    const { size } = await fh.stat();
    const header = await readRange(fh, 0, HEADER_BYTES);
    if (header.length < HEADER_BYTES) throw new Error(`${file}: ${size} bytes, shorter than the header`);
    const maxElements = Number(header.readBigUInt64LE(8));
    const count = Number(header.readBigUInt64LE(16));
    const perElement = Number(header.readBigUInt64LE(24));
    const offsetData = Number(header.readBigUInt64LE(40));
    if (expected.count !== undefined && count !== expected.count)
      throw new Error(`${file}: holds ${count} elements, expected ${expected.count}`);
    // hnswlib allocates for the capacity as it reads: a file checked by its layout alone (read while
    // its checksum is computed) must not make it allocate for billions of elements.
    const bound = expected.count === undefined ? 8 * count + 65_536 : Number.POSITIVE_INFINITY;
    if (maxElements < count || maxElements > bound)
      throw new Error(`${file}: a capacity of ${maxElements} for ${count} elements`);
    if (perElement !== offsetData + expected.dimensions * 4 + 8) {
      throw new Error(`${file}: element size ${perElement} does not fit ${expected.dimensions} dimensions`);
    }
    // The link-list tail: one length-prefixed record per element, ending exactly at the end of the file.
    const start = HEADER_BYTES + count * perElement;
    if (size < start + 4 * count) throw new Error(`${file}: ${size} bytes, truncated`);
    const tail = await readRange(fh, start, size - start);
    let at = 0;
    for (let i = 0; i < count; i++) {
      if (at + 4 > tail.length) throw new Error(`${file}: truncated in the link lists`);
      at += 4 + tail.readUInt32LE(at);
    }
    if (at !== tail.length)
      throw new Error(`${file}: ${tail.length - at} unexpected bytes after the link lists`);
  } finally {
    await fh.close();
  }
}

/**
 * SHA-256 (hex) of a file, read 1 MiB at a time: on a worker thread when the file is large (or as
 * `offThread` says, see `util/crypto-jobs.ts`).
 */
export async function fileSha256(file: string, opts: CryptoRunOptions = {}): Promise<string> {
  const { size } = await stat(file);
  return (await cryptFile({ spec: { kind: "sha256" }, src: file, start: 0, end: size, ...opts })).toString(
    "hex",
  );
}
