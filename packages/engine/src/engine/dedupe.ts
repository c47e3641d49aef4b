/**
 * Duplicate detection for writes with `dedupe` (see `AddOptions.dedupe`): a memory repeats another
 * when its content is the same once trimmed and with runs of whitespace as one space, and its session,
 * agent and metadata are equal (metadata compared as data: key order does not matter).
 *
 * Stored duplicates are found through the keyword index, which writes keep up to date at commit (no
 * background lag): the best keyword matches of the new content among the visible memories of the
 * same session and agent are read and compared exactly, so a match is never a near-duplicate. Content
 * without index terms takes its nearest vectors as candidates instead.
 *
 * @module
 */
import type { MemoryRecord, NewMemoryRecord } from "../storage/driver.js";
import { canonicalJson } from "../util/canonical-json.js";
import type { NamespaceRuntime } from "./namespace-runtime.js";

/** How many candidates (keyword matches, or nearest vectors) of a new memory are compared with it. */
const CANDIDATES = 20;

/** What two memories must share to be duplicates. */
type Comparable = Pick<MemoryRecord, "content" | "sessionId" | "agentId" | "metadata">;

/** The identity of a memory for duplicate detection (equal keys: duplicates). */
export function dedupeKey(m: Comparable): string {
  return JSON.stringify([
    m.content.trim().replace(/\s+/g, " "),
    m.sessionId,
    m.agentId,
    canonicalJson(m.metadata),
  ]);
}

/**
 * The stored memory each of `records` repeats, by index into `records` (absent: none). Expired
 * memories are not matched.
 */
export async function storedDuplicates(
  rt: NamespaceRuntime,
  records: readonly NewMemoryRecord[],
  now: number,
): Promise<Map<number, MemoryRecord>> {
  const candidates = records.map((r) => {
    const same = (seq: number) => {
      const doc = rt.docs.get(seq);
      return !!doc && doc.sessionId === r.sessionId && doc.agentId === r.agentId && rt.visible(doc, now);
    };
    // Content without index terms ("ok", "!!!") has no keyword matches: its nearest vectors are the
    // candidates then (the same text has the same embedding; vectors awaiting the graph are included).
    if (rt.keyword.terms(r.content).length > 0)
      return rt.keyword.search(r.content, CANDIDATES, same).map((h) => h.label);
    const index = rt.vectors;
    return index && index.dimensions === r.embedding.length
      ? index.search(r.embedding, CANDIDATES, same).map((h) => h.label)
      : [];
  });
  const seqs = [...new Set(candidates.flat())];
  const out = new Map<number, MemoryRecord>();
  if (seqs.length === 0) return out;
  const stored = new Map((await rt.store.getBySeq(seqs)).map((r) => [r.seq, r]));
  const keys = new Map<number, string>();
  records.forEach((r, i) => {
    const key = dedupeKey(r);
    for (const seq of candidates[i]!) {
      const s = stored.get(seq);
      if (!s) continue;
      if (!keys.has(seq)) keys.set(seq, dedupeKey(s));
      if (keys.get(seq) === key) {
        out.set(i, s);
        break;
      }
    }
  });
  return out;
}

/** One write of a group commit, as {@link planInserts} sees it. */
export interface PlannedRequest {
  records: readonly NewMemoryRecord[];
  dedupe: boolean;
  refuseRemoved: boolean;
}

/** Where a record of a request ends up: inserted (its index among those inserted) or a stored memory. */
export type Slot = { at: number } | { existing: MemoryRecord };

/** What a group with `dedupe` writes. */
export interface InsertPlan {
  /** The records to insert, in order. */
  insert: NewMemoryRecord[];
  /** Ids of `insert` whose request refuses removed ids. */
  refuseRemoved: string[];
  /** Per request, per record: where it ends up. */
  slots: Slot[][];
  /** Seqs of the stored memories repeated (each repetition counts as an access). */
  repeated: number[];
}

/**
 * Plans a group's inserts when a request of it has `dedupe`: its records that repeat a stored memory,
 * or a record inserted before them in the group, are not inserted but answered with that memory.
 */
export async function planInserts(
  rt: NamespaceRuntime,
  requests: readonly PlannedRequest[],
  now: number,
): Promise<InsertPlan> {
  const asked = requests.flatMap((r) => (r.dedupe ? r.records : []));
  const stored = await storedDuplicates(rt, asked, now);
  const plan: InsertPlan = { insert: [], refuseRemoved: [], slots: [], repeated: [] };
  const firstAt = new Map<string, number>();
  let d = 0;
  for (const r of requests) {
    const slots: Slot[] = [];
    for (const rec of r.records) {
      const key = dedupeKey(rec);
      const existing = r.dedupe ? stored.get(d++) : undefined;
      const earlier = r.dedupe ? firstAt.get(key) : undefined;
      if (existing) {
        slots.push({ existing });
        plan.repeated.push(existing.seq);
      } else if (earlier !== undefined) {
        slots.push({ at: earlier });
      } else {
        const at = plan.insert.push(rec) - 1;
        if (!firstAt.has(key)) firstAt.set(key, at);
        if (r.refuseRemoved) plan.refuseRemoved.push(rec.id);
        slots.push({ at });
      }
    }
    plan.slots.push(slots);
  }
  return plan;
}
