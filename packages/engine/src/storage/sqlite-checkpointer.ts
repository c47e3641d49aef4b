/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the commit that
 * crosses its threshold (1,000 pages): it copies the WAL into the database file and fsyncs it, on
 * the caller's thread. On an encrypted namespace that was ~70 % of the cost of a small write (the
 * coalesced search-hit statistics: 82 µs a row inline, 24 µs without it) and a stall of tens of
 * milliseconds for whichever request happened to commit.
 *
 * {@link Checkpointer} runs those checkpoints in one worker thread with its own connection per
 * database file: writes mark their file, and a round of `PRAGMA wal_checkpoint(PASSIVE)` (which never
 * blocks readers or the writer) follows every `intervalMs`. The writing connections keep an automatic
 * checkpoint at a higher threshold ({@link FALLBACK_AUTOCHECKPOINT_PAGES}) as a safety net, and go back
 * to SQLite's default if the worker fails. Checkpoints are not needed for durability (a committed
 * transaction is durable in the WAL); they only bound the WAL's size.
 *
 * @module
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** The writing connection's automatic checkpoint while the worker checkpoints (pages; 40 MB at 4 KiB). */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;

/** A file the worker checkpoints, with the key that opens it (null: plaintext). */
interface Target {
  file: string;
  key: Buffer | null;
}

type Reply = { id: number; errors?: { file: string | null; message: string }[] };

/** A checkpoint that failed (reported through {@link CheckpointerOptions.onError}). */
export interface CheckpointFailure {
  /** The database file, or `null` when the worker itself stopped (inline checkpoints apply then). */
  file: string | null;
  message: string;
  /** When it was reported (ms since the epoch). */
  at: number;
}

/** The worker: one connection per file, opened on first use, closed on `release` and `close`. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.sqlite);
const open = new Map();
function connection(file, key) {
  let db = open.get(file);
  if (!db) {
    db = new Database(file, { fileMustExist: true });
    try {
      if (key) db.key(Buffer.from(key));
      db.pragma("busy_timeout = 0");
    } catch (err) {
      db.close();
      throw err;
    }
    open.set(file, db);
  }
  return db;
}
function release(file) {
  const db = open.get(file);
  open.delete(file);
  if (db && db.open) db.close();
}
parentPort.on("message", (m) => {
  const errors = [];
  try {
    if (m.type === "checkpoint") {
      for (const t of m.targets) {
        try {
          connection(t.file, t.key).pragma("wal_checkpoint(PASSIVE)");
        } catch (err) {
          release(t.file);
          errors.push({ file: t.file, message: String(err && err.message) });
        }
      }
    } else if (m.type === "release") {
      for (const file of m.files) release(file);
    } else if (m.type === "close") {
      for (const file of [...open.keys()]) release(file);
    }
  } catch (err) {
    errors.push({ file: null, message: String(err && err.message) });
  }
  parentPort.postMessage(errors.length > 0 ? { id: m.id, errors } : { id: m.id });
});
`;

/** Options of {@link Checkpointer}. */
export interface CheckpointerOptions {
  /** How long after a file's first write since the last round its checkpoint runs. @default 200 */
  intervalMs?: number;
  /** The worker (and its connections) stops after this long without writes, in ms. @default 30000 */
  idleMs?: number;
  /**
   * Called for every checkpoint that fails (a file that cannot be opened or checkpointed, or the
   * worker stopping). A failed checkpoint loses no data (commits are durable in the WAL) but lets the
   * WAL grow until the writing connection's own fallback checkpoint: log it.
   */
  onError?: (failure: CheckpointFailure) => void;
}

/**
 * Background WAL checkpoints for SQLite namespace files: one worker thread, shared by any number of
 * drivers (pass one instance as `SqliteDriverOptions.checkpointer`, e.g. to every tenant of a server);
 * a driver given none makes its own.
 */
export class Checkpointer {
  readonly #intervalMs: number;
  readonly #idleMs: number;
  readonly #onError: ((failure: CheckpointFailure) => void) | undefined;
  #failures = 0;
  #lastFailure: CheckpointFailure | null = null;
  #idleTimer: NodeJS.Timeout | null = null;
  readonly #failureListeners = new Set<() => void>();
  #worker: Worker | null = null;
  #failed = false;
  #nextId = 1;
  readonly #waiting = new Map<number, (reply: Reply) => void>();
  /** Files written since their last checkpoint. */
  readonly #dirty = new Map<string, Buffer | null>();
  /** Files the worker may hold a connection to. */
  readonly #known = new Set<string>();
  #timer: NodeJS.Timeout | null = null;
  #round: Promise<void> | null = null;

  constructor(opts: CheckpointerOptions = {}) {
    this.#intervalMs = opts.intervalMs ?? 200;
    this.#idleMs = opts.idleMs ?? 30_000;
    this.#onError = opts.onError;
  }

  /** Checkpoints that failed so far (see {@link CheckpointerOptions.onError}). */
  get failures(): number {
    return this.#failures;
  }

  /** The latest failed checkpoint, or `null`. */
  get lastFailure(): CheckpointFailure | null {
    return this.#lastFailure;
  }

  #report(file: string | null, message: string): void {
    this.#failures++;
    this.#lastFailure = { file, message, at: Date.now() };
    try {
      this.#onError?.(this.#lastFailure);
    } catch {
      // A throwing listener must not stop checkpoints.
    }
  }

  /** Whether checkpoints run in the worker (false after a failure: SQLite's inline ones apply). */
  get active(): boolean {
    return !this.#failed;
  }

  /**
   * Calls `listener` once if the worker fails (the drivers then return their connections to inline
   * checkpoints). Returns the function that removes it.
   */
  onFailure(listener: () => void): () => void {
    this.#failureListeners.add(listener);
    return () => this.#failureListeners.delete(listener);
  }

  /** Records a commit to `file`; its checkpoint follows within `intervalMs`. */
  mark(file: string, key: Buffer | null): void {
    if (this.#failed) return;
    this.#dirty.set(file, key);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer || this.#round || this.#failed) return;
    if (this.#dirty.size === 0) {
      if (this.#worker && !this.#idleTimer) {
        this.#idleTimer = setTimeout(() => void this.#stopIdle(), this.#idleMs);
        this.#idleTimer.unref();
      }
      return;
    }
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    this.#timer = setTimeout(() => void this.checkpoint(), this.#intervalMs);
    this.#timer.unref();
  }

  /** Stops an idle worker: no thread or connection is kept for a driver nobody writes to. */
  async #stopIdle(): Promise<void> {
    this.#idleTimer = null;
    if (this.#dirty.size > 0 || this.#round || this.#timer) return;
    await this.#stopWorker();
  }

  async #stopWorker(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    this.#known.clear();
    if (!worker) return;
    await this.#send({ type: "close" }, worker).catch(() => undefined);
    await worker.terminate();
  }

  /** Whether a worker thread is running (it starts on the first round and stops when idle). */
  get running(): boolean {
    return this.#worker !== null;
  }

  /** Runs a checkpoint round of every marked file now; resolves when it is done. */
  async checkpoint(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    while (this.#round) await this.#round;
    if (this.#failed || this.#dirty.size === 0) return;
    const targets: Target[] = [...this.#dirty].map(([file, key]) => ({ file, key }));
    this.#dirty.clear();
    for (const t of targets) this.#known.add(t.file);
    this.#round = this.#send({ type: "checkpoint", targets })
      .then((reply) => {
        for (const e of reply.errors ?? []) this.#report(e.file, e.message);
      })
      .finally(() => {
        this.#round = null;
        this.#schedule();
      });
    await this.#round;
  }

  /** Whether the worker may hold a connection to `file` (it checkpointed it and has not released it). */
  holds(file: string): boolean {
    return this.#known.has(file);
  }

  /**
   * Closes the worker's connection to `file` (before the file is deleted or re-keyed: leaving WAL mode
   * needs every other connection closed). Pending marks of the file are dropped.
   */
  async release(file: string): Promise<void> {
    this.#dirty.delete(file);
    if (!this.#known.delete(file) || this.#failed) return;
    while (this.#round) await this.#round;
    await this.#send({ type: "release", files: [file] });
  }

  /** Closes every connection and stops the worker. */
  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#timer = null;
    this.#idleTimer = null;
    this.#dirty.clear();
    while (this.#round) await this.#round;
    await this.#stopWorker();
  }

  #spawn(): Worker {
    const sqlite = createRequire(import.meta.url).resolve("better-sqlite3-multiple-ciphers");
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { sqlite } });
    worker.unref();
    worker.on("message", (reply: Reply) => {
      const resolve = this.#waiting.get(reply.id);
      this.#waiting.delete(reply.id);
      resolve?.(reply);
    });
    const fail = () => {
      if (this.#worker !== worker) return;
      this.#worker = null;
      this.#fail();
    };
    worker.on("error", fail);
    worker.on("exit", fail);
    return worker;
  }

  #fail(): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#dirty.clear();
    this.#report(null, "the checkpoint worker stopped: SQLite's inline checkpoints apply from now on");
    for (const resolve of this.#waiting.values()) resolve({ id: 0 });
    this.#waiting.clear();
    for (const listener of this.#failureListeners) listener();
  }

  #send(message: Record<string, unknown>, to?: Worker): Promise<Reply> {
    if (this.#failed && !to) return Promise.resolve({ id: 0 });
    if (!to && !this.#worker) {
      try {
        this.#worker = this.#spawn();
      } catch {
        // No worker threads here: SQLite's inline checkpoints apply.
        this.#fail();
        return Promise.resolve({ id: 0 });
      }
    }
    const worker = to ?? this.#worker!;
    const id = this.#nextId++;
    return new Promise<Reply>((resolve) => {
      this.#waiting.set(id, resolve);
      worker.postMessage({ ...message, id });
    });
  }
}
