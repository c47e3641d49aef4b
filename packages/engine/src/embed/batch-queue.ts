/**
 * Merges concurrent calls into shared batches, for a model that runs one batch at a time. A call made
 * while a batch is running waits for it and then goes out together with every other call that
 * arrived meanwhile, so under load each model run carries many texts (USE-lite embeds a batch of 16
 * in ~170 ms on two cores, against ~25 ms for each text alone) while a lone call still goes out at once.
 *
 * Each batch takes the calls with the fewest items left first and fills up with the rest, so a
 * search's one query is not queued behind a bulk import's thousand texts (the import still advances
 * with every batch). An aborted call is rejected at once and its items not sent. When a run that
 * carried several calls fails, each call's items are run again on their own, so a failure caused by
 * one call's input fails that call only; the next batch runs as usual.
 *
 * @module
 */

/** Options of {@link BatchQueue}. */
export interface BatchQueueOptions<I, O> {
  /** Most items per run. */
  batchSize: number;
  /** Runs one batch; resolves to one output per item, in order. */
  run: (items: I[]) => Promise<O[]>;
}

interface Job<I, O> {
  items: readonly I[];
  /** Index of the next item to send. */
  next: number;
  results: O[];
  received: number;
  resolve: (out: O[]) => void;
  reject: (err: unknown) => void;
  /** Settled (done, failed or aborted): later results are dropped. */
  settled: boolean;
}

/** The items `from … from + count` of a job, in a batch. */
interface Segment<I, O> {
  job: Job<I, O>;
  from: number;
  count: number;
}

/** Concurrent calls, merged into batches of at most `batchSize` items, one batch running at a time. */
export class BatchQueue<I, O> {
  readonly #opts: BatchQueueOptions<I, O>;
  readonly #jobs: Job<I, O>[] = [];
  #running = false;

  constructor(opts: BatchQueueOptions<I, O>) {
    this.#opts = opts;
  }

  /** Runs `items` (in one or more batches, possibly shared with other calls); outputs in order. */
  push(items: readonly I[], signal?: AbortSignal): Promise<O[]> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (items.length === 0) return Promise.resolve([]);
    return new Promise<O[]>((resolve, reject) => {
      const job: Job<I, O> = {
        items,
        next: 0,
        results: new Array<O>(items.length),
        received: 0,
        resolve,
        reject,
        settled: false,
      };
      const onAbort = () => this.#settle(job, signal!.reason, false);
      signal?.addEventListener("abort", onAbort, { once: true });
      job.resolve = (out) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(out);
      };
      job.reject = (err) => {
        signal?.removeEventListener("abort", onAbort);
        reject(err);
      };
      this.#jobs.push(job);
      void this.#pump();
    });
  }

  /** Resolves or rejects a job once, and takes it off the queue. */
  #settle(job: Job<I, O>, err: unknown, ok: boolean): void {
    if (job.settled) return;
    job.settled = true;
    const at = this.#jobs.indexOf(job);
    if (at >= 0) this.#jobs.splice(at, 1);
    if (ok) job.resolve(job.results);
    else job.reject(err);
  }

  async #pump(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      for (;;) {
        const segments = this.#nextBatch();
        if (segments.length === 0) return;
        try {
          this.#deliver(segments, await this.#runSegments(segments));
        } catch (err) {
          const live = segments.filter(({ job }) => !job.settled);
          if (live.length <= 1) {
            for (const { job } of segments) this.#settle(job, err, false);
            continue;
          }
          // A shared run failed: each call's items run alone, so one call's bad input fails only it.
          for (const segment of live) {
            try {
              this.#deliver([segment], await this.#runSegments([segment]));
            } catch (alone) {
              this.#settle(segment.job, alone, false);
            }
          }
        }
      }
    } finally {
      this.#running = false;
    }
  }

  async #runSegments(segments: readonly Segment<I, O>[]): Promise<O[]> {
    const items = segments.flatMap(({ job, from, count }) => job.items.slice(from, from + count));
    const out = await this.#opts.run(items);
    if (out.length !== items.length) {
      throw new Error(`a batch of ${items.length} items returned ${out.length} outputs`);
    }
    return out;
  }

  #deliver(segments: readonly Segment<I, O>[], out: readonly O[]): void {
    let k = 0;
    for (const { job, from, count } of segments) {
      for (let i = 0; i < count; i++) job.results[from + i] = out[k++]!;
      job.received += count;
      if (job.received === job.items.length) this.#settle(job, null, true);
    }
  }

  /** The next batch: the jobs with the fewest items left first (arrival order among equals). */
  #nextBatch(): Segment<I, O>[] {
    const waiting = this.#jobs.filter((j) => j.next < j.items.length);
    waiting.sort((a, b) => a.items.length - a.next - (b.items.length - b.next));
    const segments: Segment<I, O>[] = [];
    let room = this.#opts.batchSize;
    for (const job of waiting) {
      if (room === 0) break;
      const count = Math.min(room, job.items.length - job.next);
      segments.push({ job, from: job.next, count });
      job.next += count;
      room -= count;
    }
    return segments;
  }
}
