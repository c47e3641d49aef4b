/**
 * `memory.deleteMany`: deletes the memories matching ids, a session and/or a metadata filter — an
 * agent's scratch memory after a run, a session's turns, everything about one customer.
 *
 * The matches are those of the call's start (memories added meanwhile are not deleted). They are
 * deleted in chunks of the batch size, each its own transaction under the namespace's write lock, so
 * other writers wait at most one chunk; each chunk re-checks its memories against the selectors
 * (one updated meanwhile to no longer match is kept). Up to the batch size (every `ids` call) it is
 * one transaction: all or nothing.
 *
 * @module
 */
import { ValidationError } from "../errors.js";
import type { DeleteManyOptions, DeleteManyResult } from "../types.js";
import { assertId } from "../validation.js";
import type { EngineCore } from "./core.js";
import type { DocInfo } from "./doc-table.js";
import { type MemorySelector, memorySelector } from "./memory-selector.js";
import type { NamespaceRuntime } from "./namespace-runtime.js";

/** The validated selectors of one call: a memory must pass every one given. */
interface Selection {
  ids: readonly string[] | null;
  others: MemorySelector;
}

function select(core: EngineCore, opts: DeleteManyOptions): Selection {
  const { ids, sessionId, filter } = opts;
  if (ids === undefined && sessionId === undefined && filter === undefined) {
    throw new ValidationError({
      message: "deleteMany needs ids, sessionId or filter (filter: {} deletes every memory)",
      details: { field: "filter" },
    });
  }
  if (ids !== undefined && !Array.isArray(ids)) {
    throw new ValidationError({ message: "ids must be an array of ids", details: { field: "ids" } });
  }
  if (ids && ids.length > core.limits.batchSize) {
    throw new ValidationError({
      code: "PAYLOAD_TOO_LARGE",
      message: `deleteMany takes at most ${core.limits.batchSize} ids (got ${ids.length}); use a filter or several calls`,
      details: { field: "ids" },
    });
  }
  return {
    ids: ids ? ids.map((id, i) => assertId(id, `ids[${i}]`)) : null,
    others: memorySelector({ sessionId, filter }, core.limits.filter),
  };
}

/** The ids of the memories that match now, in insertion order (or in the order of `ids`). */
function matching(rt: NamespaceRuntime, s: Selection): string[] {
  if (s.ids) return [...new Set(s.ids)].filter((id) => isMatch(rt.docById(id), s));
  const out: string[] = [];
  for (const doc of rt.docs.values()) if (s.others.matches(doc)) out.push(doc.id);
  return out;
}

/** Whether a memory is here and passes the selectors other than `ids`. */
const isMatch = (doc: DocInfo | undefined, s: Selection): boolean => !!doc && s.others.matches(doc);

/** See the module comment. */
export async function deleteMany(core: EngineCore, opts: DeleteManyOptions): Promise<DeleteManyResult> {
  core.assertOpen();
  if (typeof opts !== "object" || opts === null) {
    throw new ValidationError({
      message: "deleteMany takes an options object",
      details: { field: "options" },
    });
  }
  return core.use(opts.namespace, async (rt) => {
    const s = select(core, opts);
    const ids = matching(rt, s);
    let deleted = 0;
    for (let at = 0; at < ids.length; at += core.limits.batchSize) {
      const chunk = ids.slice(at, at + core.limits.batchSize);
      deleted += await rt.write(async () => {
        // Still there and still matching (a write may have changed them while earlier chunks ran).
        const still = chunk.filter((id) => isMatch(rt.docById(id), s));
        if (still.length === 0) return 0;
        const removed = await rt.store.delete(still, core.clock.now());
        rt.applyDeletes(removed, await rt.store.generation());
        return removed.length;
      });
    }
    return { deleted };
  });
}
