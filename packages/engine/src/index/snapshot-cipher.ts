/**
 * Encryption of index snapshots in encrypted tenants. hnswlib reads and writes only plaintext files,
 * so an ANN snapshot goes through a scratch file in RAM (`/dev/shm`, tmpfs: never on persistent
 * storage) and is stored encrypted with AES-256-GCM under a key derived from the tenant key
 * (HKDF-SHA256), as `MAGIC ‖ iv (12 bytes) ‖ ciphertext ‖ tag (16 bytes)`. Files are processed 1 MiB
 * at a time, so a large index is never held twice in the JavaScript heap, and large ones on a worker
 * thread (`util/crypto-jobs.ts`). Keyword snapshots are built in memory and encrypted from there
 * ({@link appendEncrypted}), in the same format.
 *
 * @module
 */
import { hkdfSync, randomBytes } from "node:crypto";
import { accessSync, constants, statSync } from "node:fs";
import { appendFile, open, rm, stat, writeFile } from "node:fs/promises";
import { type BytesRunOptions, type CryptoRunOptions, cryptBytes, cryptFile } from "../util/crypto-jobs.js";
import { readRange } from "../util/file-chunks.js";

/** How a snapshot is encrypted: the key, and where the plaintext may briefly live (RAM). */
export interface SnapshotCipher {
  key: Buffer;
  scratchDir: string;
}

const MAGIC = Buffer.from("LOCI-ANN-GCM-1\n");
const IV_BYTES = 12;
const TAG_BYTES = 16;
const RAM_DIR = "/dev/shm";

/** The snapshot key of a tenant key (a separate key, so the database key is never reused). */
export function snapshotKeyOf(tenantKey: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", tenantKey, Buffer.alloc(0), "loci ann snapshot v1", 32));
}

/** A RAM-backed directory for plaintext scratch files, or `null` when this system has none. */
export function ramScratchDir(): string | null {
  try {
    if (!statSync(RAM_DIR).isDirectory()) return null;
    accessSync(RAM_DIR, constants.W_OK);
    return RAM_DIR;
  } catch {
    return null;
  }
}

/**
 * Encrypts `src` into `dst` (created or replaced), a chunk at a time (on a worker thread when large,
 * or as `opts.offThread` says); resolves with the GCM tag (hex), which names this encryption (a fresh
 * IV each time) and is the file's last {@link TAG_BYTES} bytes.
 */
export async function encryptFile(
  src: string,
  dst: string,
  key: Buffer,
  opts: CryptoRunOptions = {},
): Promise<string> {
  const iv = randomBytes(IV_BYTES);
  const { size } = await stat(src);
  await writeFile(dst, Buffer.concat([MAGIC, iv]));
  const last = await cryptFile({
    spec: { kind: "encrypt", key, iv },
    src,
    start: 0,
    end: size,
    dst,
    ...opts,
  });
  await appendFile(dst, last);
  return last.subarray(last.length - TAG_BYTES).toString("hex");
}

/** The GCM tag (hex) of a file {@link encryptFile} wrote, read from its end; `null` when too short. */
export async function fileTag(file: string): Promise<string | null> {
  const fh = await open(file, "r");
  try {
    const { size } = await fh.stat();
    if (size < MAGIC.length + IV_BYTES + TAG_BYTES) return null;
    return (await readRange(fh, size - TAG_BYTES, TAG_BYTES)).toString("hex");
  } finally {
    await fh.close();
  }
}

/**
 * Decrypts `src` into `dst` (as {@link encryptFile} runs); resolves `false` (leaving no `dst`) when the
 * file is not such a snapshot, was encrypted under another key, or was altered.
 */
export async function decryptFile(
  src: string,
  dst: string,
  key: Buffer,
  opts: CryptoRunOptions = {},
): Promise<boolean> {
  const from = await open(src, "r");
  let head: Buffer;
  let tag: Buffer;
  let size: number;
  try {
    size = (await from.stat()).size;
    head = await readRange(from, 0, MAGIC.length + IV_BYTES);
    if (size < head.length + TAG_BYTES || head.length < MAGIC.length + IV_BYTES) return false;
    if (!head.subarray(0, MAGIC.length).equals(MAGIC)) return false;
    tag = await readRange(from, size - TAG_BYTES, TAG_BYTES);
  } finally {
    await from.close();
  }
  const spec = { kind: "decrypt", key, iv: head.subarray(MAGIC.length), tag } as const;
  try {
    await writeFile(dst, Buffer.alloc(0));
    const end = size - TAG_BYTES;
    await appendFile(dst, await cryptFile({ spec, src, start: head.length, end, dst, ...opts }));
    return true;
  } catch {
    await rm(dst, { force: true });
    return false;
  }
}

/**
 * Appends bytes held in memory to the file `dst`, encrypted into the format {@link encryptFile} writes
 * (on a worker thread when large, which writes the file itself, otherwise a chunk per turn of the
 * event loop). With `opts.transfer`, `plain`'s buffer is handed to the worker, not copied.
 */
export async function appendEncrypted(
  plain: Uint8Array,
  key: Buffer,
  dst: string,
  opts: BytesRunOptions = {},
): Promise<void> {
  const iv = randomBytes(IV_BYTES);
  await appendFile(dst, Buffer.concat([MAGIC, iv]));
  await appendFile(dst, await cryptBytes({ kind: "encrypt", key, iv }, plain, { ...opts, dst }));
}

/**
 * Decrypts what {@link appendEncrypted} wrote; `null` when it is not such data, another key's, or
 * altered. With `opts.transfer`, `data`'s buffer is handed to the worker (and detached).
 */
export async function decryptBytes(
  data: Buffer,
  key: Buffer,
  opts: BytesRunOptions = {},
): Promise<Buffer | null> {
  const head = MAGIC.length + IV_BYTES;
  if (data.length < head + TAG_BYTES || !data.subarray(0, MAGIC.length).equals(MAGIC)) return null;
  // Copies: a handed-over buffer is detached, the views with it.
  const iv = Buffer.from(data.subarray(MAGIC.length, head));
  const tag = Buffer.from(data.subarray(data.length - TAG_BYTES));
  const body = data.subarray(head, data.length - TAG_BYTES);
  return cryptBytes({ kind: "decrypt", key, iv, tag }, body, opts).catch(() => null);
}
