/**
 * Free-space checks for background files (index snapshots): a snapshot that would leave less than
 * {@link SNAPSHOT_RESERVE_BYTES} free on its filesystem is not started, so it never takes the last
 * bytes a commit of the database needs. Snapshots are derived data; the database is the truth.
 *
 * @module
 */
import { statfsSync } from "node:fs";
import { StorageError } from "../errors.js";

/** What a snapshot always leaves free on its filesystem for the database's own writes. */
export const SNAPSHOT_RESERVE_BYTES = 1 << 20;

/**
 * Returns when `dir`'s filesystem has room for `bytes` more plus {@link SNAPSHOT_RESERVE_BYTES};
 * otherwise throws a `STORAGE_FULL` {@link StorageError} naming both. A filesystem that cannot tell
 * (statfs unsupported) is assumed to have room. Synchronous (one statfs call, microseconds), so a
 * snapshot still starts from the index as it is when it is asked for.
 */
export function ensureRoom(dir: string, bytes: number, what: string): void {
  let free: number;
  try {
    const s = statfsSync(dir);
    free = s.bavail * s.bsize;
  } catch {
    return;
  }
  const needed = bytes + SNAPSHOT_RESERVE_BYTES;
  if (free >= needed) return;
  throw new StorageError({
    code: "STORAGE_FULL",
    message: `not enough free space for the ${what} in ${dir}: it needs ~${bytes} bytes and ${SNAPSHOT_RESERVE_BYTES} are kept free for commits, ${free} are free; the previous one stays`,
    details: { dir, needed, free },
  });
}
