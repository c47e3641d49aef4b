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
 *
 * @module
 */
import type { Embedder } from "../embed/embedder.js";
import type { MemoryRecord, SentenceBackfillState, SentenceFill } from "../storage/driver.js";
import { cosine } from "../util/vectors.js";
import type { NamespaceRuntime } from "./namespace-runtime.js";
import { sentenceTexts } from "./sentence-vectors.js";

/** A stored vector at least this close to the engine's own embedding of the memory's text is the engine's. */
export const SAME_MODEL = 0.99;
/** Memories read per step (with their vectors; ~3 texts each to embed on chat data). */
const PAGE = 32;

/** Options of {@link SentenceBackfill}. */
export interface SentenceBackfillOptions {
  rt: NamespaceRuntime;
  embedder: Embedder;
  /** The engine clock (expired memories are skipped). */
  now: () => number;
  /** Wait before retrying after a failure, ms. @default 30000 */
  retryMs?: number;
}

/** The background backfill of one namespace runtime. */
export class SentenceBackfill {
  readonly rt: NamespaceRuntime;
  readonly #embedder: Embedder;
  readonly #now: () => number;
  readonly #retryMs: number;
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
      this.#retry = setTimeout(() => this.start(), this.#retryMs);
      this.#retry.unref();
    }
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

  /** One page; `false` when nothing is left to do. */
  async #step(): Promise<boolean> {
    if (!this.#applies()) return false;
    const state = await this.rt.store.sentenceBackfill();
    this.#state = state;
    if (!state) return false;
    const page = await this.rt.store.scan({ afterSeq: state.after, limit: PAGE, withEmbeddings: true });
    const last = page[page.length - 1]?.seq ?? state.through;
    const fills = await this.#compute(page.filter((r) => r.seq <= state.through));
    return this.rt.write(async () => {
      if (!this.#applies()) return false;
      // Turning the option off and on again restarts the backfill: only advance the state read above.
      if (!sameState(await this.rt.store.sentenceBackfill(), state)) return true;
      if (fills.length > 0) this.#filled += (await this.rt.store.fillSentenceEmbeddings(fills)).length;
      const done = page.length < PAGE || last >= state.through;
      this.#state = done ? null : { after: last, through: state.through };
      await this.rt.store.setSentenceBackfill(this.#state);
      return !done;
    });
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

function sameState(a: SentenceBackfillState | null, b: SentenceBackfillState): boolean {
  return a !== null && a.after === b.after && a.through === b.through;
}
