/**
 * Encryption of index snapshots in encrypted tenants. hnswlib reads and writes only plaintext files,
 * so an ANN snapshot goes through a scratch file in RAM (`/dev/shm`, tmpfs: never on persistent
 * storage) and is stored encrypted with AES-256-GCM under a key derived from the tenant key
 * (HKDF-SHA256), as `MAGIC ‖ iv (12 bytes) ‖ ciphertext ‖ tag (16 bytes)`. Files are processed 1 MiB
 * at a time, so a large index is never held twice in the JavaScript heap. Keyword snapshots are built
 * in memory and encrypted there ({@link encryptBytes}), in the same format.
 *
 * @module
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { accessSync, constants, statSync } from "node:fs";
import { type FileHandle, open, rm } from "node:fs/promises";
import { forChunks, readChunks, readRange } from "../util/file-chunks.js";

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

/** Writes every byte of `data` at the file's current end. */
async function writeAll(fh: FileHandle, data: Buffer): Promise<void> {
  for (let done = 0; done < data.length; )
    done += (await fh.write(data, done, data.length - done)).bytesWritten;
}

/** Encrypts `src` into `dst` (created or replaced), a chunk at a time. */
export async function encryptFile(src: string, dst: string, key: Buffer): Promise<void> {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const from = await open(src, "r");
  try {
    const to = await open(dst, "w");
    try {
      await writeAll(to, Buffer.concat([MAGIC, iv]));
      await readChunks(from, 0, (await from.stat()).size, (b) => writeAll(to, cipher.update(b)));
      await writeAll(to, Buffer.concat([cipher.final(), cipher.getAuthTag()]));
    } finally {
      await to.close();
    }
  } finally {
    await from.close();
  }
}

/**
 * Decrypts `src` into `dst`; resolves `false` (leaving no `dst`) when the file is not such a snapshot,
 * was encrypted under another key, or was altered.
 */
export async function decryptFile(src: string, dst: string, key: Buffer): Promise<boolean> {
  const from = await open(src, "r");
  try {
    const { size } = await from.stat();
    const head = await readRange(from, 0, MAGIC.length + IV_BYTES);
    if (size < head.length + TAG_BYTES || head.length < MAGIC.length + IV_BYTES) return false;
    if (!head.subarray(0, MAGIC.length).equals(MAGIC)) return false;
    const tag = await readRange(from, size - TAG_BYTES, TAG_BYTES);
    const decipher = createDecipheriv("aes-256-gcm", key, head.subarray(MAGIC.length));
    decipher.setAuthTag(tag);
    const to = await open(dst, "w");
    const ok = await (async () => {
      await readChunks(from, head.length, size - TAG_BYTES, (b) => writeAll(to, decipher.update(b)));
      await writeAll(to, decipher.final());
      return true;
    })().catch(() => false);
    await to.close();
    if (!ok) await rm(dst, { force: true });
    return ok;
  } finally {
    await from.close();
  }
}

/** Encrypts bytes held in memory into the format {@link encryptFile} writes (a chunk per turn of the event loop). */
export async function encryptBytes(plain: Uint8Array, key: Buffer): Promise<Buffer> {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const parts: Buffer[] = [MAGIC, iv];
  await forChunks(plain, (chunk) => parts.push(cipher.update(chunk)));
  parts.push(cipher.final(), cipher.getAuthTag());
  return Buffer.concat(parts);
}

/** Decrypts what {@link encryptBytes} wrote; `null` when it is not such data, another key's, or altered. */
export async function decryptBytes(data: Buffer, key: Buffer): Promise<Buffer | null> {
  const head = MAGIC.length + IV_BYTES;
  if (data.length < head + TAG_BYTES || !data.subarray(0, MAGIC.length).equals(MAGIC)) return null;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, data.subarray(MAGIC.length, head));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    const parts: Buffer[] = [];
    await forChunks(data.subarray(head, data.length - TAG_BYTES), (chunk) =>
      parts.push(decipher.update(chunk)),
    );
    parts.push(decipher.final());
    return Buffer.concat(parts);
  } catch {
    return null;
  }
}
