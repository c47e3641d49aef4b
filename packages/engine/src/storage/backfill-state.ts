/**
 * The sentence-vector backfill's progress as stored by the drivers (see `NamespaceStore.sentenceBackfill`):
 * one canonical JSON form, so drivers and the engine compare states the same way.
 *
 * @module
 */
import type { SentenceBackfillState } from "./driver.js";

/** The state with only its known fields, in a fixed order (`null` stays `null`). */
export function canonicalBackfill(state: SentenceBackfillState | null): SentenceBackfillState | null {
  if (state === null) return null;
  const out: SentenceBackfillState = { after: state.after, through: state.through };
  if (state.lease) out.lease = { holder: state.lease.holder, until: state.lease.until };
  return out;
}

/** Whether two states are the same (range and lease). */
export function sameBackfill(a: SentenceBackfillState | null, b: SentenceBackfillState | null): boolean {
  return JSON.stringify(canonicalBackfill(a)) === JSON.stringify(canonicalBackfill(b));
}
