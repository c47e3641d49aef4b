/**
 * Vector-sketch snapshots on disk (`vectors.sketch`, the format of `snapshot-file.ts`: temp file,
 * flush, rename; SHA-256, or AES-256-GCM on encrypted storage — the int8 codes approximate the
 * vectors, so they never reach the disk in plaintext there). Without one, a namespace reopened from
 * its ANN snapshot read every stored vector again to sketch it, in the background (~4 s of CPU per
 * 100k memories on encrypted storage), and searches read vectors the sketch would have spared them
 * meanwhile.
 *
 * The file holds whole chunks as they were when each was copied, and the storage generation at the
 * start of the write. A chunk copied after a later write holds that write's sketch, so a loaded
 * sketch is only trusted for memories the change log names no change of since that generation and
 * that are still live ({@link loadSketchSnapshot}'s caller drops the others; they are sketched again
 * from their stored vectors).
 *
 * Payload (little-endian): `u32 keys[chunks]` (padded to 8 bytes), then per chunk `f32 scale[1024]`,
 * `f32 err[2048]`, `i8 codes[1024 · dimensions]` (padded to 4 bytes).
 *
 * @module
 */
import { nextTurn } from "../util/file-chunks.js";
import {
  discardSnapshotTempFile,
  readSnapshotFile,
  type SnapshotFileTarget,
  type SnapshotHeader,
  writeSnapshotFile,
} from "./snapshot-file.js";
import { SKETCH_CHUNK, type SketchChunkData, VectorSketch } from "./vector-sketch.js";

const KIND = { file: "vectors.sketch", magic: Buffer.from("LOCI-SKETCH-1\n") };
/** Chunks copied per turn of the event loop (~0.5 MB each at 512-d). */
const CHUNKS_PER_TURN = 32;

interface Header extends SnapshotHeader {
  dimensions: number;
  slots: number;
  chunks: number;
}

const pad = (n: number, to: number) => Math.ceil(n / to) * to;
const chunkBytes = (d: number) => 4 * SKETCH_CHUNK + 8 * SKETCH_CHUNK + pad(SKETCH_CHUNK * d, 4);

/** Views of chunk `i`'s arrays in a payload of `keys` chunk keys. */
function chunkAt(payload: Buffer, d: number, chunks: number, i: number): SketchChunkData {
  const at = payload.byteOffset + pad(4 * chunks, 8) + i * chunkBytes(d);
  return {
    scale: new Float32Array(payload.buffer, at, SKETCH_CHUNK),
    err: new Float32Array(payload.buffer, at + 4 * SKETCH_CHUNK, 2 * SKETCH_CHUNK),
    codes: new Int8Array(payload.buffer, at + 12 * SKETCH_CHUNK, SKETCH_CHUNK * d),
  };
}

/**
 * Writes `sketch` as the sketch snapshot of `target.dir` at storage `generation` (read before this is
 * called), a few chunks per turn of the event loop; a chunk dropped meanwhile is written empty.
 */
export async function saveSketchSnapshot(
  sketch: VectorSketch,
  target: SnapshotFileTarget,
  generation: number,
): Promise<void> {
  const d = sketch.dimensions;
  const keys = sketch.chunkKeys();
  const payload = Buffer.alloc(pad(4 * keys.length, 8) + keys.length * chunkBytes(d));
  new Uint32Array(payload.buffer, payload.byteOffset, keys.length).set(keys);
  for (let i = 0; i < keys.length; i++) {
    if (i > 0 && i % CHUNKS_PER_TURN === 0) await nextTurn();
    const dst = chunkAt(payload, d, keys.length, i);
    if (!sketch.copyChunk(keys[i]!, dst)) dst.scale.fill(Number.NaN);
  }
  const header = { generation, dimensions: d, slots: SKETCH_CHUNK, chunks: keys.length };
  await writeSnapshotFile(KIND, target, header, payload);
}

/**
 * The sketch stored in `target.dir` with the generation it was written at; `null` when there is
 * none, or it is unusable (another dimension or chunk size, altered, truncated, encrypted differently
 * than `target.key` says). Chunks past `maxBytes` are left out.
 */
export async function loadSketchSnapshot(
  target: SnapshotFileTarget,
  opts: { dimensions: number; maxBytes: number },
): Promise<{ sketch: VectorSketch; generation: number } | null> {
  const read = await readSnapshotFile<Header>(KIND, target);
  if (!read) return null;
  const { header } = read;
  // Typed-array views need the payload 4-byte aligned (a small decrypted one may not be).
  const payload =
    read.payload.byteOffset % 4 === 0 ? read.payload : Buffer.from(new Uint8Array(read.payload).buffer);
  const d = opts.dimensions;
  const n = header.chunks;
  if (header.dimensions !== d || header.slots !== SKETCH_CHUNK || !Number.isInteger(n) || n < 0) return null;
  if (payload.length !== pad(4 * n, 8) + n * chunkBytes(d)) return null;
  const keys = new Uint32Array(payload.buffer, payload.byteOffset, n);
  const sketch = new VectorSketch(d, { maxBytes: opts.maxBytes });
  for (let i = 0; i < n; i++) {
    if (i > 0 && i % CHUNKS_PER_TURN === 0) await nextTurn();
    // Views, not copies: the payload is the chunks (it stays allocated until the last of them goes).
    if (!sketch.adoptChunk(keys[i]!, chunkAt(payload, d, n, i))) break;
  }
  return { sketch, generation: header.generation };
}

/** Removes the temp file of an interrupted {@link saveSketchSnapshot} (ignoring errors). */
export function discardSketchTemp(dir: string): void {
  discardSnapshotTempFile(KIND, dir);
}
