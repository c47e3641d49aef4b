/**
 * Hashing and AES-256-GCM over large inputs — a file's byte range or bytes in memory — a chunk at a
 * time, on the event loop's thread or on a worker thread of its own. Index snapshots reach hundreds of
 * megabytes (a 100k-memory ANN graph is 215 MB, a million memories 2.3 GB): their SHA-256 took ~130 ms
 * of the event loop per 100k memories and their encryption ~250 ms, on every load and write. A worker
 * reads the file itself, so a namespace's opening reads its memories on the event loop meanwhile, and
 * a snapshot written under load leaves the event loop to requests (a worker fed chunk by chunk from the
 * event loop stalled whenever the loop was busy: hashing 215 MB took ~0.8 s instead of 0.13 s). A
 * worker costs ~30 ms to start, so inputs under {@link OFF_THREAD_BYTES} (in memory:
 * {@link OFF_THREAD_MEMORY_BYTES}) stay on the calling thread, in chunks between turns of the event loop.
 *
 * @module
 */
import { createCipheriv, createDecipheriv, createHash } from "node:crypto";
import { type FileHandle, open } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { forChunks, readChunks } from "./file-chunks.js";

/** File ranges this large (bytes) are processed on a worker thread by default. */
export const OFF_THREAD_BYTES = 16 << 20;
/**
 * Bytes in memory this large go to a worker by default: on this thread they cost ~0.6 ms a MiB in
 * chunks between turns of the event loop, and a worker must first be given a copy (unless they are
 * handed over, {@link BytesRunOptions.transfer}: then from {@link OFF_THREAD_BYTES}).
 */
export const OFF_THREAD_MEMORY_BYTES = 64 << 20;

/**
 * What to compute: a SHA-256 (the output is the digest), or AES-256-GCM encryption (the output ends
 * with the 16-byte tag) or decryption (rejected when the data does not authenticate under `tag`).
 */
export type CryptoSpec =
  | { kind: "sha256" }
  | { kind: "encrypt"; key: Uint8Array; iv: Uint8Array }
  | { kind: "decrypt"; key: Uint8Array; iv: Uint8Array; tag: Uint8Array };

/** Where it runs: on a worker thread, or on this one (default: by the input's size). */
export interface CryptoRunOptions {
  offThread?: boolean;
}

/** How {@link cryptBytes} runs. */
export interface BytesRunOptions extends CryptoRunOptions {
  /**
   * The caller hands `data`'s whole `ArrayBuffer` over: a worker gets it moved, not copied (copying
   * 200 MB held the event loop for 0.3–0.8 s: the copy, its page faults, and the garbage collection
   * the new memory set off), and it is detached afterwards. Only for a buffer nothing else uses.
   */
  transfer?: boolean;
  /** Receives the output (appended to the file); the promise then resolves with the final bytes only. */
  dst?: string;
}

/** A job over `[start, end)` of the file `src`; the cipher's output is appended to the file `dst`. */
export interface FileCryptoJob extends CryptoRunOptions {
  spec: CryptoSpec;
  src: string;
  start: number;
  end: number;
  /** Receives the output (the file is created or appended to); without it, only the final bytes count. */
  dst?: string;
}

/**
 * Runs `job` and resolves with its final bytes: the digest of a hash, the tail and tag of an
 * encryption, the tail of a decryption (everything before them went to `dst`).
 */
export function cryptFile(job: FileCryptoJob): Promise<Buffer> {
  const { offThread, ...work } = job;
  if (offThread ?? job.end - job.start >= OFF_THREAD_BYTES) return inWorker({ type: "file", ...work });
  return fileHere(work);
}

/**
 * Runs `spec` over bytes in memory and resolves with the whole output (the digest of a hash), or with
 * `opts.dst`, appends the output to that file and resolves with the final bytes (as {@link cryptFile}).
 */
export function cryptBytes(spec: CryptoSpec, data: Uint8Array, opts: BytesRunOptions = {}): Promise<Buffer> {
  const { transfer, dst } = opts;
  if (opts.offThread ?? data.length >= (transfer ? OFF_THREAD_BYTES : OFF_THREAD_MEMORY_BYTES)) {
    // Handed over whole, or a copy of just these bytes (posting a view would clone its whole buffer).
    return inWorker({ type: "bytes", spec, data: transfer ? data : new Uint8Array(data), dst });
  }
  return bytesHere(spec, data, dst);
}

/** A streaming hash or cipher on this thread: `update` per chunk, then `final`. */
function transform(spec: CryptoSpec): { update(chunk: Uint8Array): Buffer; final(): Buffer } {
  const empty = Buffer.alloc(0);
  if (spec.kind === "sha256") {
    const hash = createHash("sha256");
    return {
      update: (chunk) => {
        hash.update(chunk);
        return empty;
      },
      final: () => hash.digest(),
    };
  }
  if (spec.kind === "encrypt") {
    const cipher = createCipheriv("aes-256-gcm", spec.key, spec.iv);
    return {
      update: (chunk) => cipher.update(chunk),
      final: () => Buffer.concat([cipher.final(), cipher.getAuthTag()]),
    };
  }
  const decipher = createDecipheriv("aes-256-gcm", spec.key, spec.iv).setAuthTag(spec.tag);
  return { update: (chunk) => decipher.update(chunk), final: () => decipher.final() };
}

async function fileHere(job: Omit<FileCryptoJob, "offThread">): Promise<Buffer> {
  const t = transform(job.spec);
  const src = await open(job.src, "r");
  let dst: FileHandle | null = null;
  try {
    if (job.dst) dst = await open(job.dst, "a");
    await readChunks(src, job.start, job.end, async (chunk) => {
      const out = t.update(chunk);
      if (dst && out.length > 0) await writeAll(dst, out);
    });
    return t.final();
  } finally {
    await dst?.close();
    await src.close();
  }
}

async function bytesHere(spec: CryptoSpec, data: Uint8Array, dst?: string): Promise<Buffer> {
  const t = transform(spec);
  const parts: Buffer[] = [];
  await forChunks(data, (chunk) => {
    parts.push(t.update(chunk));
  });
  if (dst === undefined) {
    parts.push(t.final());
    return Buffer.concat(parts);
  }
  const fh = await open(dst, "a");
  try {
    for (const part of parts) await writeAll(fh, part);
  } finally {
    await fh.close();
  }
  return t.final();
}

/** Writes every byte of `data` at the file's current end. */
async function writeAll(fh: FileHandle, data: Uint8Array): Promise<void> {
  for (let done = 0; done < data.length; )
    done += (await fh.write(data, done, data.length - done)).bytesWritten;
}

/** The worker: one job (`fileHere` or `bytesHere`, synchronously), its result, then it ends. */
const WORKER_SOURCE = `
const { parentPort, workerData: job } = require("node:worker_threads");
const crypto = require("node:crypto");
const fs = require("node:fs");
function transform(spec) {
  if (spec.kind === "sha256") {
    const h = crypto.createHash("sha256");
    return { update: (c) => (h.update(c), Buffer.alloc(0)), final: () => h.digest() };
  }
  if (spec.kind === "encrypt") {
    const c = crypto.createCipheriv("aes-256-gcm", spec.key, spec.iv);
    return { update: (b) => c.update(b), final: () => Buffer.concat([c.final(), c.getAuthTag()]) };
  }
  const d = crypto.createDecipheriv("aes-256-gcm", spec.key, spec.iv).setAuthTag(spec.tag);
  return { update: (b) => d.update(b), final: () => d.final() };
}
function writeAll(fd, data) {
  for (let done = 0; done < data.length; ) done += fs.writeSync(fd, data, done, data.length - done);
}
function run() {
  const t = transform(job.spec);
  if (job.type === "bytes") {
    const out = job.dst ? fs.openSync(job.dst, "a") : null;
    const parts = [];
    try {
      for (let at = 0; at < job.data.length; at += 1 << 20) {
        const part = t.update(job.data.subarray(at, at + (1 << 20)));
        if (out === null) parts.push(part);
        else writeAll(out, part);
      }
    } finally {
      if (out !== null) fs.closeSync(out);
    }
    parts.push(t.final());
    return Buffer.concat(parts);
  }
  const src = fs.openSync(job.src, "r");
  const dst = job.dst ? fs.openSync(job.dst, "a") : null;
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let at = job.start; at < job.end; ) {
      const n = fs.readSync(src, buf, 0, Math.min(buf.length, job.end - at), at);
      if (n === 0) throw new Error("unexpected end of file");
      const out = t.update(buf.subarray(0, n));
      if (dst !== null && out.length > 0) writeAll(dst, out);
      at += n;
    }
    return t.final();
  } finally {
    if (dst !== null) fs.closeSync(dst);
    fs.closeSync(src);
  }
}
try {
  const out = run();
  parentPort.postMessage({ out }, out.byteOffset === 0 && out.buffer.byteLength === out.length ? [out.buffer] : []);
} catch (err) {
  parentPort.postMessage({ error: String((err && err.message) || err) });
}
`;

type WorkerJob =
  | ({ type: "file" } & Omit<FileCryptoJob, "offThread">)
  | { type: "bytes"; spec: CryptoSpec; data: Uint8Array; dst?: string | undefined };

/**
 * Crypto workers running at once in this process: more would only share the same cores, each with its
 * own isolate (~10 MB), as when a server restarts and many large namespaces open together. Process-wide
 * on purpose, like libuv's thread pool; the jobs beyond it wait their turn.
 */
const MAX_WORKERS = Math.max(1, availableParallelism());
let running = 0;
const queued: (() => void)[] = [];

async function inWorker(job: WorkerJob): Promise<Buffer> {
  if (running >= MAX_WORKERS) await new Promise<void>((go) => queued.push(go));
  running++;
  try {
    return await runWorker(job);
  } finally {
    running--;
    queued.shift()?.();
  }
}

function runWorker(job: WorkerJob): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // Not unref'd: a caller awaiting it (a snapshot written on close) keeps the process alive.
    const transfer = job.type === "bytes" ? [job.data.buffer as ArrayBuffer] : [];
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: job, transferList: transfer });
    let settled = false;
    worker.once("message", (m: { out?: Uint8Array; error?: string }) => {
      settled = true;
      if (m.error !== undefined) reject(new Error(m.error));
      else resolve(Buffer.from(m.out!.buffer, m.out!.byteOffset, m.out!.byteLength));
      void worker.terminate();
    });
    worker.once("error", (err) => {
      if (!settled) reject(err);
      settled = true;
    });
    worker.once("exit", () => {
      if (!settled) reject(new Error("the crypto worker stopped"));
      settled = true;
    });
  });
}
