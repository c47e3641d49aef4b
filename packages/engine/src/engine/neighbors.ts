/**
 * Session neighbours: the memories written just before and after a memory in the same session, in
 * creation order (ties by seq). Memories without a session have no neighbours.
 * Conversation turns next to a strong hit often hold the rest of the answer ("Where did you go?" /
 * "To Miami!"), so search scores each memory also as a passage with its neighbours ({@link passagesOf}).
 *
 * The order is rebuilt lazily, once per change of the namespace ({@link NamespaceRuntime.generation}),
 * in O(n log n) over its memories, and shared by the searches until the next write.
 *
 * @module
 */
import type { NamespaceRuntime } from "./namespace-runtime.js";

/** Position of each memory in its session's sequence. */
interface Timeline {
  generation: number;
  /** seq → [session sequence, index in it]. */
  position: Map<number, [number[], number]>;
}

const timelines = new WeakMap<NamespaceRuntime, Timeline>();

function build(rt: NamespaceRuntime): Timeline {
  const groups = new Map<string, { seq: number; at: number }[]>();
  for (const [seq, doc] of rt.docs) {
    if (doc.sessionId === null) continue;
    const g = groups.get(doc.sessionId);
    if (g) g.push({ seq, at: doc.createdAt });
    else groups.set(doc.sessionId, [{ seq, at: doc.createdAt }]);
  }
  const position = new Map<number, [number[], number]>();
  for (const g of groups.values()) {
    g.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const order = g.map((x) => x.seq);
    order.forEach((seq, i) => {
      position.set(seq, [order, i]);
    });
  }
  return { generation: rt.generation, position };
}

function timeline(rt: NamespaceRuntime): Timeline {
  let t = timelines.get(rt);
  if (!t || t.generation !== rt.generation) {
    t = build(rt);
    timelines.set(rt, t);
  }
  return t;
}

/** The neighbours of `seq` within `window` positions, nearest first, with their distance. */
export function neighborsOf(
  rt: NamespaceRuntime,
  seq: number,
  window: number,
): { seq: number; distance: number }[] {
  const at = timeline(rt).position.get(seq);
  if (!at) return [];
  const [order, i] = at;
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
