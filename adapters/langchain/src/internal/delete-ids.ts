/**
 * Deleting many memories by id: one `memory.deleteMany` (one request, one transaction) per 1,000 ids,
 * the engine's batch size, instead of one call per id.
 *
 * @module
 */
import type { MemoryClient } from "@loci/engine";

const CHUNK = 1000;

/** Deletes the memories with these ids (ids not stored are skipped). */
export async function deleteIds(
  client: MemoryClient,
  namespace: string,
  ids: readonly string[],
): Promise<void> {
  for (let at = 0; at < ids.length; at += CHUNK) {
    await client.memory.deleteMany({ namespace, ids: ids.slice(at, at + CHUNK) });
  }
}
