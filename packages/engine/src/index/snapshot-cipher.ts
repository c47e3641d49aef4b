/**
 * Encryption of ANN snapshots in encrypted tenants. hnswlib reads and writes only plaintext files,
 * so a snapshot goes through a scratch file in RAM (`/dev/shm`, tmpfs: never on persistent storage)
 * and is stored encrypted with AES-256-GCM under a key derived from the tenant key (HKDF-SHA256), as
 * `MAGIC ‖ iv (12 bytes) ‖ ciphertext ‖ tag (16 bytes)`. Files are processed 1 MiB at a time, so a
 * large index is never held twice in the JavaScript heap.
 *
 * @module
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import {
  accessSync,
  closeSync,
  constants,
  fstatSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";

/** How a snapshot is encrypted: the key, and where the plaintext may briefly live (RAM). */
export interface SnapshotCipher {
  key: Buffer;
  scratchDir: string;
}

const MAGIC = Buffer.from("LOCI-ANN-GCM-1\n");
const IV_BYTES = 12;
const TAG_BYTES = 16;
const CHUNK = 1 << 20;
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

function pipe(from: number, start: number, end: number, to: number, transform: (b: Buffer) => Buffer): void {
  const buf = Buffer.alloc(CHUNK);
  for (let at = start; at < end; ) {
    const n = readSync(from, buf, 0, Math.min(CHUNK, end - at), at);
    if (n === 0) throw new Error("unexpected end of file");
    writeAll(to, transform(buf.subarray(0, n)));
    at += n;
  }
}

function writeAll(fd: number, data: Buffer): void {
  for (let done = 0; done < data.length; ) done += writeSync(fd, data, done, data.length - done);
}

/** Encrypts `src` into `dst` (created or replaced). */
export function encryptFile(src: string, dst: string, key: Buffer): void {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const from = openSync(src, "r");
  const to = openSync(dst, "w");
  try {
    writeAll(to, Buffer.concat([MAGIC, iv]));
    pipe(from, 0, fstatSync(from).size, to, (b) => cipher.update(b));
    writeAll(to, Buffer.concat([cipher.final(), cipher.getAuthTag()]));
  } finally {
    closeSync(from);
    closeSync(to);
  }
}

/**
 * Decrypts `src` into `dst`; returns `false` (leaving no `dst`) when the file is not such a snapshot,
 * was encrypted under another key, or was altered.
 */
export function decryptFile(src: string, dst: string, key: Buffer): boolean {
  const from = openSync(src, "r");
  let to: number | null = null;
  try {
    const size = fstatSync(from).size;
    const head = Buffer.alloc(MAGIC.length + IV_BYTES);
    if (size < head.length + TAG_BYTES || readSync(from, head, 0, head.length, 0) < head.length) return false;
    if (!head.subarray(0, MAGIC.length).equals(MAGIC)) return false;
    const tag = Buffer.alloc(TAG_BYTES);
    readSync(from, tag, 0, TAG_BYTES, size - TAG_BYTES);
    const decipher = createDecipheriv("aes-256-gcm", key, head.subarray(MAGIC.length));
    decipher.setAuthTag(tag);
    to = openSync(dst, "w");
    pipe(from, head.length, size - TAG_BYTES, to, (b) => decipher.update(b));
    writeAll(to, decipher.final());
    return true;
  } catch {
    if (to !== null) {
      closeSync(to);
      to = null;
    }
    rmSync(dst, { force: true });
    return false;
  } finally {
    closeSync(from);
    if (to !== null) closeSync(to);
  }
}
