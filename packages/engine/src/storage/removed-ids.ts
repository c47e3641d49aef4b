/**
 * The `MEMORY_REMOVED` error of an insert with `refuseRemoved` (`InsertOptions`), shared by the
 * drivers so both say the same thing.
 *
 * @module
 */
import { ConflictError } from "../errors.js";
import type { MemoryRemovalInfo } from "../types.js";
import { isoTime } from "../util/iso-time.js";
import type { MemoryRemoval } from "./driver.js";

const REASONS: Record<MemoryRemoval["type"], MemoryRemovalInfo["reason"]> = {
  "memory.deleted": "deleted",
  "memory.evicted": "evicted",
  "memory.expired": "expired",
};

/** A change-log removal as the public API tells it (`reason`, ISO `at`). */
export function removalInfo(removal: MemoryRemoval): MemoryRemovalInfo {
  return { reason: REASONS[removal.type], at: isoTime(removal.at) };
}

/**
 * `MEMORY_REMOVED` naming every removed id (in `ids` order), or `null` when `removals` holds none.
 * `details.removed` is `[{ id, reason, at }]`.
 */
export function memoryRemovedError(
  namespace: string,
  ids: readonly string[],
  removals: ReadonlyMap<string, MemoryRemoval>,
): ConflictError | null {
  const removed = ids.flatMap((id) => {
    const r = removals.get(id);
    return r ? [{ id, ...removalInfo(r) }] : [];
  });
  if (removed.length === 0) return null;
  const first = removed[0]!;
  const more = removed.length > 1 ? ` (and ${removed.length - 1} more)` : "";
  return new ConflictError({
    code: "MEMORY_REMOVED",
    message: `memory "${first.id}" in "${namespace}" was ${first.reason} at ${first.at}${more}; this write refuses removed ids, and nothing was written`,
    details: { removed },
  });
}
