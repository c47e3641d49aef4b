/**
 * Failures of the work an engine does off the request path (graph rebuilds, sentence-vector
 * backfills, ANN snapshots, the vector sketch, search-hit statistics, expiry sweeps, catching up with
 * other processes, event handlers). None of them loses or corrupts stored data — each is derived
 * state, or is retried — but each is worth knowing about: they go to `LociOptions.onBackgroundError`.
 *
 * @module
 */

/** What failed in the background (see {@link BackgroundFailure}). */
export type BackgroundWork =
  /** Reading stored vectors for a graph rebuild after `vectorIndex.m` / `efConstruction` changed. */
  | "graph-rebuild"
  /** Embedding or writing sentence vectors after `sentenceVectors` was turned on. */
  | "sentence-backfill"
  /** Writing a namespace's ANN snapshot (a full disk): the next open catches up from the change log. */
  | "snapshot"
  /** Reading stored vectors into the vector sketch after open: searches read them instead. */
  | "sketch"
  /** Persisting search-hit statistics (`lastAccessedAt`, `accessCount`). */
  | "access-stats"
  /** The periodic deletion of expired memories: the next sweep tries again. */
  | "expiry-sweep"
  /** Catching up with another process's commit (shared storage): the next read or write does. */
  | "remote-sync"
  /** A `subscribe` handler threw or rejected (the subscription stays active). */
  | "event-handler"
  /** Closing an idle namespace beyond `maxOpenNamespaces` (it opens again on its next use). */
  | "close";

/** One failure of background work. */
export interface BackgroundFailure {
  work: BackgroundWork;
  /** The namespace it concerns (`null`: the engine as a whole). */
  namespace: string | null;
  error: unknown;
  /** When the engine tries again by itself (`null`: at the next occasion the work arises). */
  retryInMs: number | null;
}

/** Receives background failures (`LociOptions.onBackgroundError`). */
export type BackgroundErrorHandler = (failure: BackgroundFailure) => void;

/** The report function the engine's parts call. */
export type ReportFailure = (failure: BackgroundFailure) => void;

/** A one-line description of a failure (what the default handler prints). */
export function describeFailure(f: BackgroundFailure): string {
  const where = f.namespace === null ? "" : ` in namespace "${f.namespace}"`;
  const retry = f.retryInMs === null ? "" : ` (retrying in ${Math.round(f.retryInMs / 1000)} s)`;
  const message = f.error instanceof Error ? f.error.message : String(f.error);
  return `loci: background ${f.work}${where} failed${retry}: ${message}`;
}

/**
 * The engine's reporter: `handler` (by default a warning on stderr), shielded so that a handler that
 * throws never breaks the work that reported.
 */
export function failureReporter(handler?: BackgroundErrorHandler): ReportFailure {
  const deliver = handler ?? ((f: BackgroundFailure) => console.warn(describeFailure(f)));
  return (failure) => {
    try {
      deliver(failure);
    } catch {
      // the handler's own failure has nowhere better to go
    }
  };
}
