/**
 * The selectors `memory.list`, `memory.count` and `memory.deleteMany` share: a session and a metadata
 * filter, validated once, tested against the in-memory attribute table.
 *
 * @module
 */
import { compileFilter } from "../filter/compile.js";
import type { Filter, FilterLimits, FilterPredicate } from "../filter/types.js";
import { assertId } from "../validation.js";
import type { DocInfo } from "./doc-table.js";

/** A validated session + filter selection. */
export interface MemorySelector {
  sessionId: string | null;
  predicate: FilterPredicate | null;
  /** Whether the memory passes every selector given (all of them when none is). */
  matches(doc: DocInfo): boolean;
}

/**
 * Validates and compiles the selectors (`sessionId` first, then `filter`).
 * @throws INVALID_ARGUMENT for a bad session id, INVALID_FILTER for a bad filter
 */
export function memorySelector(
  opts: { sessionId?: string; filter?: Filter },
  filterLimits: FilterLimits,
): MemorySelector {
  const sessionId = opts.sessionId === undefined ? null : assertId(opts.sessionId, "sessionId");
  const predicate = opts.filter === undefined ? null : compileFilter(opts.filter, filterLimits);
  return {
    sessionId,
    predicate,
    matches: (doc) =>
      (sessionId === null || doc.sessionId === sessionId) && (predicate === null || predicate(doc.metadata)),
  };
}
