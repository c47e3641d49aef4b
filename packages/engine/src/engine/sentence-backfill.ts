/**
 * The sentence-vector backfill. Turning `sentenceVectors` on for a namespace that already holds
 * memories records a pending backfill (`NamespaceStore.setSentenceBackfill`, up to the highest seq at
 * that moment); this walks those memories in the background, a page at a time, and gives each one of
 * two or more sentences the sentence vectors it would have got had the option been on when it was
 * written. Memories written afterwards get theirs with the write.
 *
 * - Only text the engine embedded gets sentence vectors: a memory whose stored vector is not the
 *   engine's own embedding of its text (cosine below {@link SAME_MODEL}) was written with its own
 *   `embedding` and is skipped, as at insert.
 * - The write is conditional (`fillSentenceEmbeddings`): a memory updated, deleted or given vectors
 *   since it was read is left alone, so the backfill never overwrites a newer write. Nothing is logged
 *   as a change and no event fires: the memories themselves do not change.
 * - Progress is stored after every page, so a restart resumes where it stopped; a failure (embedder,
 *   storage) is retried after `retryMs`. Closing the namespace or turning the option off stops it.
 * - On shared storage (PostgreSQL, several engines) each page is leased first (`lease` in the
 *   stored state, compare-and-set): the other engines wait for the lease to end instead of embedding
 *   the same page, and take over if its holder stops for {@link LEASE_MS}.
 *
 * @module
 */
import type { Embedder } from "../embed/embedder.js";
import type { MemoryRecord, SentenceBackfillState, SentenceFill } from "../storage/driver.js";
import { cosine } from "../util/vectors.js";
import type { ReportFailure } from "./background-failures.js";
import type { NamespaceRuntime } from "./namespace-runtime.js";
import { sentenceTexts } from "./sentence-vectors.js";

/** A stored vector at least this close to the engine's own embedding of the memory's text is the engine's. */
export const SAME_MODEL = 0.99;
/** Memories read per step (with their vectors; ~3 texts each to embed on chat data). */
const PAGE = 32;

/** How long a page's lease holds other engines off (shared storage), ms. */
export const LEASE_MS = 120_000;

/** Options of {@link SentenceBackfill}. */
export interface SentenceBackfillOptions {
  rt: NamespaceRuntime;
  embedder: Embedder;
  /** The engine clock (expired memories are skipped). */
  now: () => number;
  /** This engine's id in leases (shared storage only). */
  holder: string;
  /** Wait before retrying after a failure, ms. @default 30000 */
  retryMs?: number;
  /** Wall-clock time for leases, which other processes compare with theirs. @default Date.now */
  wallClock?: () => number;
  /** Told of a failed run (it is retried after `retryMs`). */
  report?: ReportFailure;
}

/** The background backfill of one namespace runtime. */
export class SentenceBackfill {
  readonly rt: NamespaceRuntime;
  readonly #embedder: Embedder;
  readonly #now: () => number;
  readonly #retryMs: number;
  readonly #holder: string;
  readonly #wallClock: () => number;
  readonly #report: ReportFailure | undefined;
  readonly #abort = new AbortController();
  #running: Promise<void> | null = null;
  #retry: NodeJS.Timeout | null = null;
  #failure: unknown = null;
  #filled = 0;
  /** The progress last read or written (`null`: nothing pending, or the backfill does not apply). */
  #state: SentenceBackfillState | null = null;

  constructor(opts: SentenceBackfillOptions) {
    this.rt = opts.rt;
    this.#embedder = opts.embedder;
    this.#now = opts.now;
    this.#retryMs = opts.retryMs ?? 30_000;
    this.#holder = opts.holder;
    this.#wallClock = opts.wallClock ?? Date.now;
    this.#report = opts.report;
  }

  /** Memories given sentence vectors so far by this runtime's backfill. */
  get filled(): number {
    return this.#filled;
  }

  /**
   * Memories still to be checked (in the pending range and not deleted), 0 once done or while the
   * backfill does not apply. A failed run's memories stay pending until its retry.
   */
  get pending(): number {
    const state = this.#state;
    if (state === null || !this.#applies()) return 0;
    let n = 0;
    for (const seq of this.rt.docs.keys()) if (seq > state.after && seq <= state.through) n++;
    return n;
  }

  /** Starts working through a pending backfill (a no-op while one runs or after {@link stop}). */
  start(): void {
    if (this.#running || this.#abort.signal.aborted) return;
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = null;
    this.#failure = null;
    this.#running = this.#run().finally(() => {
      this.#running = null;
    });
  }

  /**
   * Resolves once no step runs (the backfill is finished, or does not apply); rejects with the error
   * of the last run when it failed (a retry is then scheduled).
   */
  async whenDone(): Promise<void> {
    await this.#running;
    if (this.#failure !== null) throw this.#failure;
  }

  /** Stops: cancels a running embedding and a scheduled retry, and waits for the step to end. */
  async stop(): Promise<void> {
    this.#abort.abort();
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = null;
    await this.#running;
  }

  async #run(): Promise<void> {
    try {
      while (await this.#step()) {
        // one page per step
      }
    } catch (err) {
      if (this.#abort.signal.aborted || this.rt.closed) return;
      this.#failure = err;
      this.#later(this.#retryMs);
      this.#report?.({
        work: "sentence-backfill",
        namespace: this.rt.name,
        error: err,
        retryInMs: this.#retryMs,
      });
    }
  }

  /** Runs {@link start} again after `ms`. */
  #later(ms: number): void {
    if (this.#abort.signal.aborted) return;
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = setTimeout(() => this.start(), ms);
    this.#retry.unref();
  }

  #applies(): boolean {
    const { config } = this.rt.record;
    return (
      !this.#abort.signal.aborted &&
      !this.rt.closed &&
      config.sentenceVectors === true &&
      // Vectors of another model cannot be compared with, or added to, this engine's.
      (config.embedding === null || config.embedding.model === this.#embedder.id)
    );
  }

  /** One page; `false` when nothing is left to do here (done, not applicable, or leased elsewhere). */
  async #step(): Promise<boolean> {
    if (!this.#applies()) return false;
    const { store } = this.rt;
    const read = await store.sentenceBackfill();
    this.#state = read;
    if (!read) return false;
    const state = await this.#claim(read);
    if (state === false) return false;
    if (state === null) return true; // the state changed meanwhile: read it again
    const page = await store.scan({ afterSeq: state.after, limit: PAGE, withEmbeddings: true });
    const last = page[page.length - 1]?.seq ?? state.through;
    const fills = await this.#compute(page.filter((r) => r.seq <= state.through));
    return this.rt.write(async () => {
      if (!this.#applies()) return false;
      if (fills.length > 0) this.#filled += (await store.fillSentenceEmbeddings(fills)).length;
      const done = page.length < PAGE || last >= state.through;
      const next = done ? null : { after: last, through: state.through };
      // Only the state this page was claimed under advances (turning the option off and on again
      // restarts the backfill; another engine may have taken over an expired lease): the fills above
      // are conditional, so they are right either way.
      if (await store.setSentenceBackfill(next, { expected: state })) this.#state = next;
      return true;
    });
  }

  /**
   * The state to work on. On shared storage the page is leased first (`false`: another engine holds
   * a live lease, so this one waits for it to end; `null`: the state changed before the claim).
   */
  async #claim(read: SentenceBackfillState): Promise<SentenceBackfillState | null | false> {
    if (!this.rt.shared) return read;
    const now = this.#wallClock();
    if (read.lease && read.lease.holder !== this.#holder && read.lease.until > now) {
      this.#later(read.lease.until - now + 1_000);
      return false;
    }
    const claimed = {
      after: read.after,
      through: read.through,
      lease: { holder: this.#holder, until: now + LEASE_MS },
    };
    const won = await this.rt.write(() => this.rt.store.setSentenceBackfill(claimed, { expected: read }));
    return won ? claimed : null;
  }

  /** The sentence vectors of the page's memories that need them. */
  async #compute(page: readonly MemoryRecord[]): Promise<SentenceFill[]> {
    const now = this.#now();
    const split = page
      .filter((r) => r.embedding !== null && (r.expiresAt === null || r.expiresAt > now))
      .map((r) => ({ r, sentences: sentenceTexts(r.content) }))
      .filter((m) => m.sentences.length > 0);
    if (split.length === 0) return [];
    const have = await this.rt.store.getSentenceEmbeddings(split.map((m) => m.r.seq));
    const todo = split.filter((m) => !have.has(m.r.seq));
    if (todo.length === 0) return [];
    // The whole texts too, to tell the engine's vectors from a caller's own. Whole texts first, then
    // the sentences: batches of texts of like length run faster (USE-lite, a REALTALK chat: 90 → 59 s).
    const vectors = await this.#embedder.embed(
      [...todo.map((m) => m.r.content), ...todo.flatMap((m) => m.sentences)],
      { signal: this.#abort.signal },
    );
    const out: SentenceFill[] = [];
    let next = todo.length;
    for (const [k, { r, sentences }] of todo.entries()) {
      const sentenceVectors = vectors.slice(next, next + sentences.length);
      next += sentences.length;
      const whole = vectors[k]!;
      const stored = r.embedding!;
      if (stored.length !== whole.length || cosine(whole, stored) < SAME_MODEL) continue;
      out.push({ seq: r.seq, content: r.content, updatedAt: r.updatedAt, vectors: sentenceVectors });
    }
    return out;
  }
}
