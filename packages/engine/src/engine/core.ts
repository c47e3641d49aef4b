/**
 * The engine core shared by the API sections: the storage driver, the embedder, the clock and the
 * open namespace runtimes (opened lazily, once, even under concurrent first use).
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import type { Embedder } from "../embed/embedder.js";
import { ConflictError, NotFoundError, storageFailure } from "../errors.js";
import type { NamespaceRecord, StorageDriver } from "../storage/driver.js";
import type { NamespaceIndexing } from "../types.js";
import { assertNamespaceName, type Limits } from "../validation.js";
import type { ReportFailure } from "./background-failures.js";
import { DEFAULT_NAMESPACE_CONFIG } from "./convert.js";
import { EventHub } from "./events.js";
import { NamespaceRuntime } from "./namespace-runtime.js";
import { OpenNamespaces } from "./open-namespaces.js";
import { SentenceBackfill } from "./sentence-backfill.js";

/** Options of {@link EngineCore}. */
export interface EngineCoreOptions {
  driver: StorageDriver;
  embedder: Embedder;
  clock: Clock;
  autoCreateNamespaces: boolean;
  snapshotEvery: number;
  /** Each namespace's int8 vector sketch (see `index/vector-sketch.ts`); `null`: none. */
  vectorSketch?: { maxBytes: number } | null;
  /** Close the embedder with the engine (true when the engine created it). */
  closeEmbedder: boolean;
  /** Most namespaces this engine may hold (`null`: unlimited). */
  maxNamespaces?: number | null;
  /** Input limits. */
  limits: Limits;
  /** Receives failures of background work (see `background-failures.ts`). */
  report: ReportFailure;
  /** Most namespaces kept open while idle (see `open-namespaces.ts`). @default Infinity */
  maxOpenNamespaces?: number;
  /** Most memories the open namespaces hold together before idle ones close (`LociOptions.maxOpenMemories`). */
  maxOpenMemories?: number;
}

/** Shared state of one engine instance. */
export class EngineCore {
  readonly driver: StorageDriver;
  readonly embedder: Embedder;
  readonly clock: Clock;
  readonly autoCreateNamespaces: boolean;
  /** Input limits of this engine. */
  readonly limits: Limits;
  /** Event fan-out for every namespace of this engine. */
  readonly events: EventHub;
  /** Receives failures of background work. */
  readonly report: ReportFailure;
  readonly #snapshotEvery: number;
  readonly #vectorSketch: { maxBytes: number } | null;
  readonly #closeEmbedder: boolean;
  readonly #maxNamespaces: number | null;
  readonly #runtimes: OpenNamespaces;
  /** The sentence-vector backfill of each open runtime that has needed one (see `sentence-backfill.ts`). */
  readonly #backfills = new Map<NamespaceRuntime, SentenceBackfill>();
  #closed = false;
  #unfollow: (() => Promise<void>) | null = null;
  /** {@link resumeBackfills} once started. */
  #resuming: Promise<void> | null = null;
  /** This engine's id in sentence-backfill leases (shared storage). */
  readonly #id = randomUUID();

  constructor(opts: EngineCoreOptions) {
    this.driver = opts.driver;
    this.embedder = opts.embedder;
    this.clock = opts.clock;
    this.autoCreateNamespaces = opts.autoCreateNamespaces;
    this.limits = opts.limits;
    this.report = opts.report;
    this.events = new EventHub({ report: opts.report });
    this.#runtimes = new OpenNamespaces({
      max: opts.maxOpenNamespaces ?? Number.POSITIVE_INFINITY,
      maxMemories: opts.maxOpenMemories ?? Number.POSITIVE_INFINITY,
      busy: (rt) => this.#busy(rt),
      close: (rt) => this.#closeIdle(rt),
    });
    this.#snapshotEvery = opts.snapshotEvery;
    this.#vectorSketch = opts.vectorSketch ?? null;
    this.#closeEmbedder = opts.closeEmbedder;
    this.#maxNamespaces = opts.maxNamespaces ?? null;
  }

  /** Throws `CLOSED` once the engine is closed. */
  assertOpen(): void {
    if (this.#closed) throw new ConflictError({ code: "CLOSED", message: "the Loci engine has been closed" });
  }

  /** Throws QUOTA_EXCEEDED when one more namespace would pass `maxNamespaces`. */
  async assertNamespaceQuota(): Promise<void> {
    if (this.#maxNamespaces === null) return;
    if ((await this.driver.listNamespaces()).length >= this.#maxNamespaces) {
      throw new ConflictError({
        code: "QUOTA_EXCEEDED",
        message: `this tenant already holds the maximum of ${this.#maxNamespaces} namespaces`,
      });
    }
  }

  /** The catalog record of a namespace. @throws {NotFoundError} NAMESPACE_NOT_FOUND */
  async record(name: string): Promise<NamespaceRecord> {
    this.assertOpen();
    assertNamespaceName(name);
    const rec = await this.driver.getNamespace(name);
    if (!rec)
      throw new NotFoundError({ code: "NAMESPACE_NOT_FOUND", message: `namespace "${name}" not found` });
    return rec;
  }

  /**
   * Runs `task` on a namespace's runtime (opening it if need be), which stays open until the task
   * ends. Every operation on a namespace goes through here (or {@link useAll}).
   */
  async use<T>(
    name: string,
    task: (rt: NamespaceRuntime) => Promise<T>,
    opts: { create?: boolean } = {},
  ): Promise<T> {
    for (let d = this.#deletion([name]); d; d = this.#deletion([name])) await d;
    const release = this.#runtimes.lease(name);
    try {
      return await task(await this.runtime(name, opts));
    } finally {
      release();
    }
  }

  /** {@link use} over several namespaces at once (runtimes in the order of `names`). */
  async useAll<T>(names: readonly string[], task: (rts: NamespaceRuntime[]) => Promise<T>): Promise<T> {
    for (let d = this.#deletion(names); d; d = this.#deletion(names)) await d;
    const releases = names.map((name) => this.#runtimes.lease(name));
    try {
      return await task(await Promise.all(names.map((name) => this.runtime(name))));
    } finally {
      for (const release of releases) release();
    }
  }

  /** {@link use} for a namespace only if it is open now (`null` otherwise, without opening it). */
  async useOpen<T>(name: string, task: (rt: NamespaceRuntime) => Promise<T>): Promise<T | null> {
    for (let d = this.#deletion([name]); d; d = this.#deletion([name])) await d;
    const release = this.#runtimes.lease(name);
    try {
      const rt = await this.openRuntime(name);
      return rt && !rt.closed ? await task(rt) : null;
    } finally {
      release();
    }
  }

  /**
   * The deletion running on one of `names`, to wait for before leasing them (its outcome is not ours
   * to report); `null` when none is. Callers check again after waiting and lease in the same turn, so
   * no deletion can start between the check and the lease.
   */
  #deletion(names: readonly string[]): Promise<unknown> | null {
    for (const name of names) {
      const task = this.#runtimes.exclusiveTask(name);
      if (task) return task.catch(() => undefined);
    }
    return null;
  }

  /**
   * Runs `task` (a namespace's deletion) alone on `name`: once the operations on it have ended, with
   * the operations that arrive meanwhile waiting for it.
   */
  exclusive<T>(name: string, task: () => Promise<T>): Promise<T> {
    return this.#runtimes.exclusive(name, task);
  }

  /**
   * The open runtime of a namespace, opening it on first use. Outside the core, call {@link use}:
   * a runtime obtained here without a lease may be closed at any time to stay within the bound.
   */
  async runtime(name: string, opts: { create?: boolean } = {}): Promise<NamespaceRuntime> {
    this.assertOpen();
    assertNamespaceName(name);
    // A runtime closed to stay within the bound finishes closing (and writing its snapshot) first.
    const closing = this.#runtimes.closing(name);
    if (closing) await closing;
    const open = this.#runtimes.get(name);
    if (open) {
      let rt: NamespaceRuntime;
      try {
        rt = await open;
      } catch (err) {
        // A concurrent open that may not create found no namespace: this one may (it is forgotten by now).
        if (opts.create && err instanceof NotFoundError && this.#runtimes.get(name) !== open) {
          return this.runtime(name, opts);
        }
        throw err;
      }
      if (!rt.closed) {
        if (!this.driver.shared) return rt;
        // Shared storage: catch up with other processes' commits; a namespace deleted (and perhaps
        // re-created) elsewhere is forgotten here and opened afresh.
        try {
          await this.#catchUp(rt);
          return rt;
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
          if (this.#runtimes.get(name) === open) this.forget(name);
          // Its snapshots go too (before, they stayed until this process restarted).
          await rt.close({ discard: true }).catch(() => undefined);
        }
      }
    }
    // Closed to stay within the bound meanwhile (a caller without a lease): wait for that, look again.
    if (this.#runtimes.closing(name)) return this.runtime(name, opts);
    const opening = (async () => {
      let record = await this.driver.getNamespace(name);
      if (!record && opts.create && this.autoCreateNamespaces) {
        await this.assertNamespaceQuota();
        const now = this.clock.now();
        record = {
          name,
          description: "",
          config: { ...DEFAULT_NAMESPACE_CONFIG },
          createdAt: now,
          updatedAt: now,
        };
        try {
          await this.driver.createNamespace(record);
        } catch (err) {
          record = await this.driver.getNamespace(name);
          if (!record) throw err;
        }
      }
      if (!record)
        throw new NotFoundError({ code: "NAMESPACE_NOT_FOUND", message: `namespace "${name}" not found` });
      const store = await this.driver.openNamespace(name);
      const rt = await NamespaceRuntime.open({
        store,
        record,
        snapshotEvery: this.#snapshotEvery,
        vectorSketch: this.#vectorSketch,
        afterWrite: (rt) => this.events.publish(rt),
        shared: this.driver.shared ?? false,
        report: this.report,
        // Caught up: an idle namespace beyond the bound may now be closed.
        onIndexed: () => this.#runtimes.trim(),
      });
      this.backfill(rt);
      return rt;
    })().catch((err: unknown) => {
      throw storageFailure(err) ?? err;
    });
    this.#runtimes.add(name, opening);
    return opening;
  }

  /**
   * Follows commits made by other processes (shared storage whose driver has `subscribeChanges`): an
   * open namespace is caught up, its catalog record refreshed and its subscribers served as soon as the
   * driver reports a commit. A no-op for a driver without notifications.
   */
  async follow(): Promise<void> {
    if (!this.driver.shared || !this.driver.subscribeChanges || this.#unfollow) return;
    this.#unfollow = await this.driver.subscribeChanges((namespace) => {
      void this.#onRemoteCommit(namespace).catch((error: unknown) => {
        // The namespace's next read or write catches up (and reports what still fails).
        if (!this.#closed) this.report({ work: "remote-sync", namespace, error, retryInMs: null });
      });
    });
  }

  async #onRemoteCommit(name: string): Promise<void> {
    const rt = await this.openRuntime(name);
    if (!rt || rt.closed || this.#closed) return;
    try {
      await this.#catchUp(rt);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      this.forget(name);
      await rt.close({ discard: true });
      return;
    }
    await this.events.publish(rt);
  }

  /**
   * Shared storage: refreshes a runtime's catalog record (configuration changed elsewhere) and
   * replays the change log. @throws {NotFoundError} when the namespace was deleted elsewhere
   */
  async #catchUp(rt: NamespaceRuntime): Promise<void> {
    const record = await this.driver.getNamespace(rt.name);
    if (!record) {
      throw new NotFoundError({ code: "NAMESPACE_NOT_FOUND", message: `namespace "${rt.name}" not found` });
    }
    if (JSON.stringify(record) !== JSON.stringify(rt.record)) {
      rt.record = record;
      this.backfill(rt);
    }
    await rt.sync();
  }

  /**
   * Starts (or resumes) the namespace's pending sentence-vector backfill when it has `sentenceVectors`
   * on, and returns it; `null` when the option is off and no backfill was started before.
   */
  backfill(rt: NamespaceRuntime): SentenceBackfill | null {
    let backfill = this.#backfills.get(rt) ?? null;
    if (!backfill && rt.record.config.sentenceVectors === true && !this.#closed) {
      backfill = new SentenceBackfill({
        rt,
        embedder: this.embedder,
        now: () => this.clock.now(),
        holder: this.#id,
        report: this.report,
      });
      this.#backfills.set(rt, backfill);
    }
    backfill?.start();
    return backfill;
  }

  /**
   * Opens every namespace whose sentence-vector backfill is still pending (`sentenceVectors` on and
   * progress stored), which starts it: after a restart a backfill resumes without waiting for its
   * namespace's first use. A namespace that fails to open here is left to its first use.
   */
  resumeBackfills(): Promise<void> {
    this.#resuming ??= this.#resume().catch(() => undefined);
    return this.#resuming;
  }

  async #resume(): Promise<void> {
    for (const rec of await this.driver.listNamespaces()) {
      if (this.#closed) return;
      if (rec.config.sentenceVectors !== true || this.#runtimes.has(rec.name)) continue;
      try {
        const store = await this.driver.openNamespace(rec.name);
        if (await store.sentenceBackfill()) await this.runtime(rec.name);
        // Nothing to resume: let go of the file unless the namespace was opened or closed meanwhile.
        else if (!this.#runtimes.has(rec.name) && !this.#runtimes.closing(rec.name))
          await this.driver.releaseNamespace?.(rec.name);
      } catch {
        // deleted meanwhile, closed, or a storage failure: its first use opens it (and reports that)
      }
    }
  }

  /** The backfill of a runtime if one was started (without starting one). */
  backfillOf(rt: NamespaceRuntime): SentenceBackfill | null {
    return this.#backfills.get(rt) ?? null;
  }

  /** An open runtime's background work left (`Namespace.indexing`). */
  indexingOf(rt: NamespaceRuntime): NamespaceIndexing {
    return {
      pendingVectors: rt.vectors?.pending ?? 0,
      graphRebuildPending: rt.rebuildPending,
      sentenceBackfillPending: this.backfillOf(rt)?.pending ?? 0,
    };
  }

  /** The open runtime if there is one (without opening). */
  async openRuntime(name: string): Promise<NamespaceRuntime | null> {
    const open = this.#runtimes.get(name);
    if (!open) return null;
    try {
      return await open;
    } catch {
      return null;
    }
  }

  /** Whether an unleased runtime must stay open: background work left, or event subscribers. */
  #busy(rt: NamespaceRuntime): boolean {
    const work = this.indexingOf(rt);
    return (
      work.pendingVectors > 0 ||
      work.graphRebuildPending > 0 ||
      work.sentenceBackfillPending > 0 ||
      this.events.hasSubscribers(rt.name)
    );
  }

  /** Closes a runtime beyond the open bound (snapshot written) and lets go of its storage. */
  async #closeIdle(rt: NamespaceRuntime): Promise<void> {
    try {
      const backfill = this.#backfills.get(rt);
      this.#backfills.delete(rt);
      await backfill?.stop();
      await rt.close();
      await this.driver.releaseNamespace?.(rt.name);
    } catch (error) {
      this.report({ work: "close", namespace: rt.name, error, retryInMs: null });
    }
  }

  /** Resolves once a close of `name`'s runtime to stay within the bound (if one runs) has finished. */
  async whenClosed(name: string): Promise<void> {
    await this.#runtimes.closing(name);
  }

  /** How many namespaces are open now (or opening). */
  get openCount(): number {
    return this.#runtimes.size;
  }

  /** Forgets a runtime and its subscribers (after its namespace was deleted). */
  forget(name: string): void {
    this.#runtimes.delete(name);
    this.events.drop(name);
    for (const [rt, backfill] of [...this.#backfills]) {
      if (rt.name !== name) continue;
      this.#backfills.delete(rt);
      void backfill.stop();
    }
  }

  /** Names of the namespaces open (or opening) now; {@link useOpen} skips any closed by then. */
  openNames(): string[] {
    return this.#runtimes.names();
  }

  /** The runtimes opened so far. */
  async openRuntimes(): Promise<NamespaceRuntime[]> {
    const out: NamespaceRuntime[] = [];
    for (const name of this.#runtimes.names()) {
      const rt = await this.openRuntime(name);
      if (rt && !rt.closed) out.push(rt);
    }
    return out;
  }

  /** Closes every runtime (writing ANN snapshots), the driver and the embedder. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#unfollow?.().catch(() => undefined);
    await this.#resuming;
    const backfills = [...this.#backfills.values()];
    this.#backfills.clear();
    await Promise.all(backfills.map((b) => b.stop()));
    // Runtimes closed to stay within the bound finish closing first.
    await Promise.all(this.#runtimes.closings());
    for (const opening of this.#runtimes.all()) {
      try {
        await (await opening).close();
      } catch {
        // a runtime that failed to open has nothing to flush
      }
    }
    this.#runtimes.clear();
    await this.driver.close();
    if (this.#closeEmbedder) await this.embedder.close?.();
  }
}
