/**
 * The namespace runtimes an engine holds open, and the bounds on how many (`maxOpenNamespaces`) and
 * on how many memories they hold together (`maxOpenMemories`, the closer measure of their memory:
 * each holds its indexes in memory and, on SQLite, its database file open), so an engine serving many
 * agents' namespaces closes the least recently used idle ones beyond the bounds. A closed namespace
 * opens again on its next use (from its snapshot, like after a restart).
 *
 * Every use of a runtime holds a lease on its name from before the runtime is looked up until the
 * operation ends, so a runtime is never closed under an operation. Runtimes with background work
 * left (vectors still to insert, a graph rebuild, a backfill) or with event subscribers stay open;
 * the bound is exceeded rather than that work dropped, and is restored as they become idle (when their
 * graph insertion catches up, or at the next use of any namespace). Deleting a namespace is exclusive
 * ({@link OpenNamespaces.exclusive}): it waits for the operations holding a lease, and operations
 * that arrive meanwhile wait for it (and then find the namespace gone, or create it afresh).
 *
 * @module
 */
import type { NamespaceRuntime } from "./namespace-runtime.js";

/** Options of {@link OpenNamespaces}. */
export interface OpenNamespacesOptions {
  /** Most runtimes kept open while idle. */
  max: number;
  /** Most memories the open runtimes may hold together while idle ones could be closed (default: no bound). */
  maxMemories?: number;
  /** Whether a runtime must stay open though unleased (background work, subscribers). */
  busy: (rt: NamespaceRuntime) => boolean;
  /** Closes a runtime beyond the bound and releases its storage. */
  close: (rt: NamespaceRuntime) => Promise<void>;
}

/** The open (and opening) runtimes of one engine, by namespace name. */
export class OpenNamespaces {
  readonly #opts: OpenNamespacesOptions;
  readonly #opening = new Map<string, Promise<NamespaceRuntime>>();
  readonly #ready = new Map<string, NamespaceRuntime>();
  readonly #leases = new Map<string, number>();
  /** When each name was last leased (a logical clock: the least recent closes first). */
  readonly #used = new Map<string, number>();
  readonly #closing = new Map<string, Promise<void>>();
  /** Exclusive tasks (deletions) by name, and who waits for a name's leases to end. */
  readonly #exclusive = new Map<string, Promise<unknown>>();
  readonly #unleased = new Map<string, (() => void)[]>();
  #tick = 0;

  constructor(opts: OpenNamespacesOptions) {
    this.#opts = opts;
  }

  /** The runtime of `name`, open or opening. */
  get(name: string): Promise<NamespaceRuntime> | undefined {
    return this.#opening.get(name);
  }

  has(name: string): boolean {
    return this.#opening.has(name);
  }

  /** How many runtimes are open or opening. */
  get size(): number {
    return this.#opening.size;
  }

  /** Names of the runtimes open or opening. */
  names(): string[] {
    return [...this.#opening.keys()];
  }

  /** Every runtime open or opening (for closing them all). */
  all(): Promise<NamespaceRuntime>[] {
    return [...this.#opening.values()];
  }

  /** Registers a runtime being opened; a failed open is forgotten. */
  add(name: string, opening: Promise<NamespaceRuntime>): void {
    this.#opening.set(name, opening);
    opening.then(
      (rt) => {
        if (this.#opening.get(name) !== opening) return;
        this.#ready.set(name, rt);
        this.trim();
      },
      () => {
        if (this.#opening.get(name) === opening) this.delete(name);
      },
    );
  }

  /** Forgets a runtime (its namespace was deleted, or it is being closed). */
  delete(name: string): void {
    this.#opening.delete(name);
    this.#ready.delete(name);
  }

  /** Forgets every runtime (the engine closes). */
  clear(): void {
    this.#opening.clear();
    this.#ready.clear();
  }

  /** The close of `name`'s previous runtime, while it runs (a new open waits for it). */
  closing(name: string): Promise<void> | undefined {
    return this.#closing.get(name);
  }

  /** The closes still running. */
  closings(): Promise<void>[] {
    return [...this.#closing.values()];
  }

  /** The exclusive task running on `name` (a deletion), which a new lease must wait for. */
  exclusiveTask(name: string): Promise<unknown> | undefined {
    return this.#exclusive.get(name);
  }

  /**
   * Runs `task` alone on `name`: after the operations holding a lease on it have ended, while new
   * ones wait ({@link OpenNamespaces.exclusiveTask}); exclusive tasks on one name run in call order.
   */
  async exclusive<T>(name: string, task: () => Promise<T>): Promise<T> {
    const before = this.#exclusive.get(name);
    const run = (async () => {
      await before?.catch(() => undefined);
      if (this.#leases.has(name))
        await new Promise<void>((resolve) =>
          this.#unleased.set(name, [...(this.#unleased.get(name) ?? []), resolve]),
        );
      return task();
    })();
    this.#exclusive.set(name, run);
    try {
      return await run;
    } finally {
      if (this.#exclusive.get(name) === run) this.#exclusive.delete(name);
    }
  }

  /** Leases `name` for one operation; call the returned function once it ends. */
  lease(name: string): () => void {
    this.#leases.set(name, (this.#leases.get(name) ?? 0) + 1);
    this.#used.set(name, ++this.#tick);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#leases.get(name) ?? 1) - 1;
      if (left > 0) this.#leases.set(name, left);
      else {
        this.#leases.delete(name);
        const waiting = this.#unleased.get(name);
        this.#unleased.delete(name);
        for (const resolve of waiting ?? []) resolve();
      }
      // A name that did not open (a missing namespace) leaves nothing behind.
      if (left <= 0 && !this.#opening.has(name)) this.#used.delete(name);
      this.trim();
    };
  }

  /** The memories the ready runtimes hold (only counted under a `maxMemories` bound). */
  #memories(): number {
    let n = 0;
    for (const rt of this.#ready.values()) if (!rt.closed) n += rt.docs.size;
    return n;
  }

  /**
   * Closes the least recently used idle runtimes while more than `max` are open or they hold more
   * than `maxMemories` memories together.
   */
  trim(): void {
    const maxMemories = this.#opts.maxMemories ?? Number.POSITIVE_INFINITY;
    let memories = maxMemories === Number.POSITIVE_INFINITY ? 0 : this.#memories();
    // The last one open stays, however large: closing what was just used would only reopen it.
    const over = () =>
      this.#opening.size > this.#opts.max || (memories > maxMemories && this.#opening.size > 1);
    if (!over()) return;
    const idle = [...this.#ready]
      .filter(([name, rt]) => !rt.closed && !this.#leases.has(name) && !this.#opts.busy(rt))
      .sort(([a], [b]) => (this.#used.get(a) ?? 0) - (this.#used.get(b) ?? 0));
    for (const [name, rt] of idle) {
      if (!over()) return;
      if (maxMemories !== Number.POSITIVE_INFINITY) memories -= rt.docs.size;
      this.delete(name);
      this.#used.delete(name);
      const closing = this.#opts.close(rt).finally(() => {
        if (this.#closing.get(name) === closing) this.#closing.delete(name);
      });
      this.#closing.set(name, closing);
    }
  }
}
