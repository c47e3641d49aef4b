/**
 * Session neighbours: the memories written just before and after a memory in the same session, in
 * creation order (ties by seq). Memories without a session have no neighbours.
 * Conversation turns next to a strong hit often hold the rest of the answer ("Where did you go?" /
 * "To Miami!"), so search scores each memory also as a passage with its neighbours ({@link passagesOf}).
 *
 * The sessions' members are regrouped lazily, once per change of the namespace
 * ({@link NamespaceRuntime.generation}), in one O(n) pass over its memories; a session is put in
 * order only when a search first needs it. Both are shared by the searches until the next write.
 *
 * @module
 */
import type { NamespaceRuntime } from "./namespace-runtime.js";

/** The members of one session, put in creation order on first use. */
interface SessionOrder {
  seqs: number[];
  sorted: boolean;
  /** seq → index in `seqs` (once sorted). */
  index: Map<number, number> | null;
}

interface Timeline {
  generation: number;
  sessions: Map<string, SessionOrder>;
}

const timelines = new WeakMap<NamespaceRuntime, Timeline>();

function timeline(rt: NamespaceRuntime): Timeline {
  let t = timelines.get(rt);
  if (!t || t.generation !== rt.generation) {
    const sessions = new Map<string, SessionOrder>();
    for (const [seq, doc] of rt.docs) {
      if (doc.sessionId === null) continue;
      const s = sessions.get(doc.sessionId);
      if (s) s.seqs.push(seq);
      else sessions.set(doc.sessionId, { seqs: [seq], sorted: false, index: null });
    }
    t = { generation: rt.generation, sessions };
    timelines.set(rt, t);
  }
  return t;
}

function ordered(rt: NamespaceRuntime, s: SessionOrder): { seqs: number[]; index: Map<number, number> } {
  if (!s.sorted) {
    const at = (seq: number) => rt.docs.get(seq)!.createdAt;
    s.seqs.sort((a, b) => at(a) - at(b) || a - b);
    s.index = new Map(s.seqs.map((seq, i) => [seq, i]));
    s.sorted = true;
  }
  return { seqs: s.seqs, index: s.index! };
}

/** The neighbours of `seq` within `window` positions, nearest first, with their distance. */
export function neighborsOf(
  rt: NamespaceRuntime,
  seq: number,
  window: number,
): { seq: number; distance: number }[] {
  const session = rt.docs.get(seq)?.sessionId;
  const members = session == null ? undefined : timeline(rt).sessions.get(session);
  if (!members) return [];
  const { seqs: order, index } = ordered(rt, members);
  const i = index.get(seq);
  if (i === undefined) return [];
  const out: { seq: number; distance: number }[] = [];
  for (let d = 1; d <= window; d++) {
    if (i - d >= 0) out.push({ seq: order[i - d]!, distance: d });
    if (i + d < order.length) out.push({ seq: order[i + d]!, distance: d });
  }
  return out;
}

/**
 * Passages for context scoring: each memory with its session neighbours within `window` that pass
 * `keep` (the search's filters), in session order.
 */
export function passagesOf(
  rt: NamespaceRuntime,
  seqs: Iterable<number>,
  window: number,
  keep: (seq: number) => boolean,
): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const seq of seqs)
    out.set(seq, [
      seq,
      ...neighborsOf(rt, seq, window)
        .filter((n) => keep(n.seq))
        .map((n) => n.seq),
    ]);
  return out;
}
