/**
 * Group commit: concurrent writes to one namespace that queue behind each other share one
 * transaction, so one fsync acknowledges all of them. A durable commit costs one WAL fsync whatever
 * it holds; single adds from many agents used to pay one each, one at a time.
 *
 * Requests queue; one turn on the namespace's write lock, taken after the current round of I/O
 * callbacks, commits every request queued by then (in order, up to `maxWeight`; the rest take the next
 * turn). When a grouped commit fails, each of its requests is committed
 * again on its own, so an error (a duplicate id, a full disk) reaches exactly the requests that cause
 * it, as without grouping. A commit must therefore change nothing when it throws (a rolled-back
 * transaction, no in-memory change before it commits).
 *
 * @module
 */
import { storageFailure } from "../errors.js";

/** Options of {@link GroupCommit}. */
export interface GroupCommitOptions<I, R> {
  /** Runs a task under the namespace's write lock (`NamespaceRuntime.write`). */
  exclusive: (task: () => Promise<void>) => Promise<void>;
  /** Commits requests in one transaction; returns one result per request, in order. */
  commit: (items: readonly I[]) => Promise<R[]>;
  /** The size of a request (records), bounding a group. */
  weight: (item: I) => number;
  /** Largest total weight of one group (a request heavier than this commits alone). */
  maxWeight: number;
}

interface Queued<I, R> {
  item: I;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

/** Groups concurrent requests into shared commits (see the module comment). */
export class GroupCommit<I, R> {
  readonly #opts: GroupCommitOptions<I, R>;
  readonly #queue: Queued<I, R>[] = [];
  #scheduled = false;

  constructor(opts: GroupCommitOptions<I, R>) {
    this.#opts = opts;
  }

  /** Commits `item` (alone or with others queued beside it); resolves once it is durable. */
  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  /**
   * Takes a turn on the lock after the current round of I/O callbacks (`setImmediate`): the commits
   * are synchronous, so requests that arrived during one are parsed in the next poll phase, and they
   * all join the next group instead of each taking its own turn.
   */
  #schedule(): void {
    if (this.#scheduled || this.#queue.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#opts
        .exclusive(() => this.#flush())
        .catch((err: unknown) => {
          // The lock's own work failed (e.g. catching up shared storage) before the group was taken.
          for (const q of this.#queue.splice(0)) q.reject(err);
        })
        .finally(() => this.#schedule());
    });
  }

  async #flush(): Promise<void> {
    const group = this.#take();
    if (group.length === 0) return;
    if (group.length > 1) {
      let results: R[] | null = null;
      try {
        results = await this.#opts.commit(group.map((q) => q.item));
      } catch {
        // Retried one by one below, so the error reaches the request that causes it.
      }
      if (results) {
        for (const [i, q] of group.entries()) q.resolve(results[i]!);
        return;
      }
    }
    for (const q of group) {
      try {
        q.resolve((await this.#opts.commit([q.item]))[0]!);
      } catch (err) {
        q.reject(storageFailure(err) ?? err);
      }
    }
  }

  /** The queued requests one commit takes: in order, up to `maxWeight` (at least one). */
  #take(): Queued<I, R>[] {
    let weight = 0;
    let n = 0;
    while (n < this.#queue.length) {
      const w = this.#opts.weight(this.#queue[n]!.item);
      if (n > 0 && weight + w > this.#opts.maxWeight) break;
      weight += w;
      n++;
    }
    return this.#queue.splice(0, n);
  }
}
