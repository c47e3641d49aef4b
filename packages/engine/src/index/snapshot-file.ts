/**
 * The file format shared by the snapshots built in memory (the keyword index, the vector sketch):
 * `magic ‖ u32 header length ‖ header (JSON, padded so the payload starts 8-byte aligned) ‖ payload`.
 * The header names the storage generation the snapshot includes and whether the payload is encrypted;
 * a plaintext payload is covered by a SHA-256 in the header, an encrypted one (AES-256-GCM,
 * `snapshot-cipher.ts`) by its GCM tag. A file is written to a temp file, flushed and renamed into
 * place, so it is either the previous snapshot or the new one.
 *
 * Large payloads are never copied on the event loop: a plaintext one is written and then hashed from
 * the file (by a worker thread that reads it itself when large; the checksum is then written into the
 * header in place), an encrypted one is handed (moved, not copied) to the worker that encrypts it and
 * appends it to the file; loading hashes the file the same way and hands the file's buffer to the
 * decrypting worker. Copying a 236 MB payload for a worker had held the event loop for 0.3–0.8 s.
 *
 * @module
 */
import { mkdirSync, rmSync } from "node:fs";
import { open, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { cryptFile } from "../util/crypto-jobs.js";
import { ensureRoom } from "../util/disk-room.js";
import { appendEncrypted, decryptBytes } from "./snapshot-cipher.js";

/** Where a snapshot goes; `key` encrypts it (encrypted storage). */
export interface SnapshotFileTarget {
  dir: string;
  key?: Buffer | null;
}

/** What every snapshot header holds (besides its own fields). */
export interface SnapshotHeader {
  /** Storage generation the snapshot includes. */
  generation: number;
  encrypted: boolean;
  /**
   * SHA-256 of a plaintext payload (encrypted ones written before this was left out have it too, of
   * the encrypted payload); decryption authenticates an encrypted one.
   */
  sha256?: string;
}

/** Which snapshot file: its name in the target directory and its magic bytes. */
export interface SnapshotFileKind {
  file: string;
  magic: Buffer;
}

/** The header's checksum until the payload is hashed (a SHA-256 in hex is as long: overwritten in place). */
const PENDING_SHA256 = "0".repeat(64);

/** SHA-256 (hex) of bytes `[start, end)` of `file`: on a worker thread that reads the file itself when large. */
async function sha256Of(file: string, start: number, end: number): Promise<string> {
  return (await cryptFile({ spec: { kind: "sha256" }, src: file, start, end })).toString("hex");
}

/**
 * Writes `payload` with `header` as the snapshot `kind` of `target.dir` (replacing the previous one
 * only once the new file is complete and flushed). `payload` is handed over: an encrypting worker
 * takes its buffer (detached afterwards).
 */
export async function writeSnapshotFile(
  kind: SnapshotFileKind,
  target: SnapshotFileTarget,
  header: Record<string, unknown> & { generation: number },
  payload: Buffer,
): Promise<void> {
  const full: SnapshotHeader = {
    ...header,
    encrypted: Boolean(target.key),
    // Filled in once the payload is in the file (hashed there). Last, so its position is found below.
    ...(target.key ? {} : { sha256: PENDING_SHA256 }),
  };
  const { magic } = kind;
  let json = Buffer.from(JSON.stringify(full));
  json = Buffer.concat([json, Buffer.alloc((8 - ((magic.length + 4 + json.length) % 8)) % 8, " ")]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);
  mkdirSync(target.dir, { recursive: true });
  const tmp = join(target.dir, `${kind.file}.tmp`);
  const start = magic.length + 4 + json.length;
  // (An encrypted payload grows by its 16-byte tag.)
  ensureRoom(target.dir, start + payload.length + 16, `${kind.file} snapshot`);
  const fh = await open(tmp, "w");
  try {
    await fh.writev(target.key ? [magic, length, json] : [magic, length, json, payload]);
    if (target.key) await appendEncrypted(payload, target.key, tmp, { transfer: true });
    else {
      const digest = Buffer.from(await sha256Of(tmp, start, start + payload.length));
      await fh.write(digest, 0, digest.length, magic.length + 4 + json.lastIndexOf(PENDING_SHA256));
    }
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(target.dir, kind.file));
}

/**
 * The header and (decrypted) payload of the snapshot `kind` in `target.dir`; `null` when there is
 * none, or it is unusable: not such a file, encrypted differently than `target.key` says, altered or
 * truncated. The caller checks its own header fields.
 */
export async function readSnapshotFile<H extends SnapshotHeader>(
  kind: SnapshotFileKind,
  target: SnapshotFileTarget,
): Promise<{ header: H; payload: Buffer } | null> {
  const path = join(target.dir, kind.file);
  let file: Buffer;
  try {
    file = await readFile(path);
  } catch {
    return null;
  }
  try {
    const { magic } = kind;
    if (!file.subarray(0, magic.length).equals(magic)) return null;
    const headerEnd = magic.length + 4 + file.readUInt32LE(magic.length);
    const header = JSON.parse(file.subarray(magic.length + 4, headerEnd).toString("utf8")) as H;
    if (header.encrypted !== Boolean(target.key) || typeof header.generation !== "number") return null;
    const stored = file.subarray(headerEnd);
    if (header.sha256 !== undefined) {
      // Hashed from the file, not from memory; a file replaced meanwhile does not match the header read before.
      if ((await sha256Of(path, headerEnd, file.length)) !== header.sha256) return null;
    } else if (!header.encrypted) return null;
    // The file's buffer is handed to the worker that decrypts it (it is not used afterwards).
    const payload = target.key ? await decryptBytes(stored, target.key, { transfer: true }) : stored;
    return payload ? { header, payload } : null;
  } catch {
    return null;
  }
}

/** Removes the temp file of an interrupted {@link writeSnapshotFile} (ignoring errors). */
export function discardSnapshotTempFile(kind: SnapshotFileKind, dir: string): void {
  try {
    rmSync(join(dir, `${kind.file}.tmp`), { force: true });
  } catch {
    // nothing to remove, or the directory is unreachable
  }
}
