/**
 * Reading large files a chunk at a time without blocking the event loop: each 1 MiB read is
 * asynchronous, so other work runs between chunks (ANN snapshots reach gigabytes at 1M memories).
 *
 * @module
 */
import type { FileHandle } from "node:fs/promises";

/** Bytes read per step. */
export const CHUNK = 1 << 20;

/**
 * Calls `each` with the bytes of `[start, end)` of the open file, in order, a chunk at a time. The
 * buffer is reused: `each` must consume it before its promise settles. @throws at an early end of file
 */
export async function readChunks(
  file: FileHandle,
  start: number,
  end: number,
  each: (chunk: Buffer) => void | Promise<void>,
): Promise<void> {
  const buf = Buffer.alloc(Math.min(CHUNK, Math.max(end - start, 1)));
  for (let at = start; at < end; ) {
    const { bytesRead } = await file.read(buf, 0, Math.min(buf.length, end - at), at);
    if (bytesRead === 0) throw new Error("unexpected end of file");
    await each(buf.subarray(0, bytesRead));
    at += bytesRead;
  }
}

/** Reads `[start, start + length)` of the open file into a new buffer (shorter at the end of the file). */
export async function readRange(file: FileHandle, start: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(buf, done, length - done, start + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/**
 * Calls `each` with consecutive chunks of `data` (views, {@link CHUNK} bytes), letting the event loop
 * run between them: for CPU work over large buffers (hashing, encryption) that must not stall it.
 */
export async function forChunks(data: Uint8Array, each: (chunk: Uint8Array) => void): Promise<void> {
  for (let at = 0; at < data.length; at += CHUNK) {
    if (at > 0) await nextTurn();
    each(data.subarray(at, at + CHUNK));
  }
}

/** Items of cheap per-item work (a set lookup or two) done between two turns of the event loop. */
export const ITEMS_PER_TURN = 16_384;

/** Resolves in the next turn of the event loop (after pending I/O callbacks): a break in long CPU work. */
export function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
