/**
 * ANN snapshots on disk: an {@link HnswIndex}'s graph file (`vectors.hnsw`) and a sidecar
 * (`vectors.json`: the storage generation it includes, its graph parameters, and the file's checksum
 * or, for an encrypted file, its GCM tag), each written to a temp file and renamed into place, so a
 * torn or corrupt snapshot is detected and rebuilt instead of loaded. Every step that touches the
 * graph file runs off the event loop (hnswlib's own worker thread, the checksum and the cipher on a
 * worker of `util/crypto-jobs.ts`, the layout check in 1 MiB asynchronous reads), so writing a
 * 1M-memory snapshot (~2.3 GB) or loading it does not stall other requests.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { open, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ensureRoom } from "../util/disk-room.js";
import { HNSW_DEFAULTS, HnswIndex, type HnswIndexOptions } from "./hnsw.js";
import { checkIndexFile, fileSha256 } from "./hnsw-file.js";
import { decryptFile, encryptFile, fileTag, type SnapshotCipher } from "./snapshot-cipher.js";

const INDEX_FILE = "vectors.hnsw";
const META_FILE = "vectors.json";

/** What a snapshot's sidecar file records. */
export interface HnswSnapshotMeta {
  /** Storage generation the snapshot includes. */
  generation: number;
  dimensions: number;
  /**
   * SHA-256 of the index file, for a plaintext one (encrypted snapshots written before `tag` have it
   * too, of the encrypted file).
   */
  sha256?: string;
  /** The file is encrypted ({@link SnapshotCipher}). */
  encrypted?: boolean;
  /**
   * The GCM tag of an encrypted file, which ends it: it ties this sidecar to that one encryption, and
   * decrypting verifies every byte, so no checksum pass is needed.
   */
  tag?: string;
  /** The graph's degree and build beam (absent in snapshots written before they were options: 16, 100). */
  m?: number;
  efConstruction?: number;
}

/**
 * Writes `index` as the snapshot of `dir` at storage `generation`. hnswlib reports no write errors (a
 * full disk leaves a short or empty file), so the temp file's layout is checked to hold every element
 * ({@link checkIndexFile}) before it replaces the current snapshot; otherwise this rejects and the
 * current snapshot stays. Pending vectors are not in it: {@link loadSnapshot}'s caller re-adds the live
 * labels a snapshot lacks. With a `cipher`, the file is stored encrypted ({@link SnapshotCipher}).
 */
export async function saveSnapshot(
  index: HnswIndex,
  dir: string,
  generation: number,
  cipher?: SnapshotCipher,
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  // hnswlib's layout: per element, level-0 links (2·M), their count, the vector and the label; upper
  // levels and the header add a few percent.
  const bytes = Math.ceil(index.size * (8 * index.m + 12 + 4 * index.dimensions) * 1.1) + 4_096;
  ensureRoom(dir, bytes, "ANN snapshot");
  const tmp = join(dir, `${INDEX_FILE}.tmp`);
  // Encrypted: the plaintext goes to a scratch file in RAM only, and is encrypted into place.
  const plain = cipher ? join(cipher.scratchDir, `loci-ann-${randomUUID()}.hnsw`) : tmp;
  let tag: string | undefined;
  try {
    const count = await index.writeGraph(plain);
    try {
      await checkIndexFile(plain, { count, dimensions: index.dimensions });
    } catch (err) {
      throw new Error(`the ANN snapshot written to ${plain} is incomplete (is the disk full?)`, {
        cause: err,
      });
    }
    if (cipher) tag = await encryptFile(plain, tmp, cipher.key);
  } finally {
    if (cipher) await rm(plain, { force: true });
  }
  // A plaintext file gets a checksum; an encrypted one is authenticated by its tag.
  const sha256 = cipher ? undefined : await fileSha256(tmp);
  // Flushed to disk here, on the thread pool: otherwise the next fsync of any file on the filesystem
  // (a commit of a database on the event loop) waits for these gigabytes to be written out.
  await syncFile(tmp);
  const meta: HnswSnapshotMeta = {
    generation,
    dimensions: index.dimensions,
    m: index.m,
    efConstruction: index.efConstruction,
    ...(sha256 ? { sha256 } : {}),
    ...(cipher ? { encrypted: true, tag } : {}),
  };
  // Both files are complete before either replaces its predecessor: a sidecar that cannot be written
  // (a full disk) leaves the previous pair in place, not a new graph file beside the old checksum.
  await writeFile(join(dir, `${META_FILE}.tmp`), JSON.stringify(meta));
  // Asynchronous too: renaming over the old file makes the filesystem allocate the new one's blocks.
  await rename(tmp, join(dir, INDEX_FILE));
  await rename(join(dir, `${META_FILE}.tmp`), join(dir, META_FILE));
}

/**
 * Loads the snapshot of `dir` if it exists, matches the dimension, the graph parameters (`m`,
 * `efConstruction`; any with `anyGraph`, and the index then keeps the snapshot's) and its checksum;
 * `null` otherwise. `live` is the set of labels the storage holds (or a promise of it, awaited once the
 * graph is read): labels outside it are treated as deleted.
 */
export async function loadSnapshot(
  dir: string,
  opts: HnswIndexOptions & {
    live: Iterable<number> | Promise<Iterable<number>>;
    cipher?: SnapshotCipher;
    anyGraph?: boolean;
  },
): Promise<{ index: HnswIndex; generation: number } | null> {
  const metaFile = join(dir, META_FILE);
  const indexFile = join(dir, INDEX_FILE);
  // A live set that fails makes this resolve null whenever it fails, even before it is awaited.
  if (opts.live instanceof Promise) opts.live.catch(() => {});
  if (!existsSync(metaFile) || !existsSync(indexFile)) return null;
  try {
    const meta = JSON.parse(readFileSync(metaFile, "utf8")) as HnswSnapshotMeta;
    if (meta.dimensions !== opts.dimensions) return null;
    const { m, efConstruction } = HNSW_DEFAULTS;
    const graph = { m: meta.m ?? m, efConstruction: meta.efConstruction ?? efConstruction };
    const other =
      graph.m !== (opts.m ?? m) || graph.efConstruction !== (opts.efConstruction ?? efConstruction);
    if (other && !opts.anyGraph) return null;
    if (Boolean(meta.encrypted) !== Boolean(opts.cipher)) return null;
    const indexOpts = { ...opts, ...graph };
    if (!opts.cipher) {
      // hnswlib reads the file while it is hashed (two passes of hundreds of megabytes at once): its
      // layout is checked first, so the read is safe, and the graph is used only once the checksum
      // matches (otherwise it is freed and this resolves null).
      await checkIndexFile(indexFile, { dimensions: opts.dimensions });
      const verified = matchesFile(indexFile, meta);
      const live = verified.then((ok) => {
        if (!ok) throw new Error(`${indexFile}: checksum mismatch`);
        return opts.live;
      });
      live.catch(() => {}); // settled by fromFile; a mismatch must not count as unhandled meanwhile
      return { index: await HnswIndex.fromFile(indexFile, indexOpts, live), generation: meta.generation };
    }
    if (!(await matchesFile(indexFile, meta))) return null;
    const plain = join(opts.cipher.scratchDir, `loci-ann-${randomUUID()}.hnsw`);
    try {
      if (!(await decryptFile(indexFile, plain, opts.cipher.key))) return null;
      return { index: await HnswIndex.fromFile(plain, indexOpts, opts.live), generation: meta.generation };
    } finally {
      await rm(plain, { force: true });
    }
  } catch {
    return null;
  }
}

/**
 * Whether `file` is the one `meta` describes: the tag an encrypted file ends with (decrypting then
 * verifies the rest), or the checksum of the whole file.
 */
async function matchesFile(file: string, meta: HnswSnapshotMeta): Promise<boolean> {
  if (meta.encrypted && meta.tag) return (await fileTag(file)) === meta.tag;
  return meta.sha256 !== undefined && (await fileSha256(file)) === meta.sha256;
}

/** Flushes a file's data to disk (off the event loop). */
async function syncFile(file: string): Promise<void> {
  const fh = await open(file, "r");
  try {
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

/** Removes the temp files of an interrupted {@link saveSnapshot} (ignoring errors). */
export function discardSnapshotTemp(dir: string): void {
  for (const file of [`${INDEX_FILE}.tmp`, `${META_FILE}.tmp`]) {
    try {
      rmSync(join(dir, file), { force: true });
    } catch {
      // nothing to clean up, or the directory is unreachable
    }
  }
}

/** Removes a snapshot (used when it is found unusable). */
export function dropSnapshot(dir: string): void {
  rmSync(join(dir, INDEX_FILE), { force: true });
  rmSync(join(dir, META_FILE), { force: true });
}
