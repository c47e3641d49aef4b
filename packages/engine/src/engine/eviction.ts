/**
 * Retention pruning (SPEC §4): when a write would leave more than `maxMemories` memories in a
 * namespace, the memories with the lowest retention go first — expired ones before any other,
 * the oldest on ties — evicted in the same transaction as the write.
 *
 * @module
 */
import { retention } from "../decay.js";
import type { NamespaceConfig } from "../types.js";

/** What eviction needs to know of a memory. */
export interface EvictionCandidate {
  id: string;
  importance: number;
  createdAt: number;
  updatedAt: number;
  lastAccessedAt: number;
  expiresAt: number | null;
}

interface Scored {
  id: string;
  retention: number;
  createdAt: number;
}

function before(a: Scored, b: Scored): boolean {
  return a.retention < b.retention || (a.retention === b.retention && a.createdAt < b.createdAt);
}

/**
 * Picks the ids to evict so that at most `config.maxMemories` remain of `candidates`
 * (the memories already stored plus those being written). O(n) plus O(n·k) for k evictions.
 */
export function pickEvictions(
  candidates: Iterable<EvictionCandidate>,
  total: number,
  config: Pick<NamespaceConfig, "maxMemories" | "decayStrategy" | "decayHalfLifeHours">,
  now: number,
): string[] {
  const max = config.maxMemories;
  if (max === null || total <= max) return [];
  const k = total - max;
  // Keep the k lowest in a sorted array (k is usually 1: one write over the limit).
  const lowest: Scored[] = [];
  for (const c of candidates) {
    const scored: Scored = {
      id: c.id,
      createdAt: c.createdAt,
      retention:
        c.expiresAt !== null && c.expiresAt <= now
          ? -1
          : retention({
              strategy: config.decayStrategy,
              halfLifeHours: config.decayHalfLifeHours,
              importance: c.importance,
              reinforcedAt: Math.max(c.createdAt, c.updatedAt, c.lastAccessedAt),
              now,
            }),
    };
    if (lowest.length === k && !before(scored, lowest[k - 1]!)) continue;
    let i = lowest.length;
    while (i > 0 && before(scored, lowest[i - 1]!)) i--;
    lowest.splice(i, 0, scored);
    if (lowest.length > k) lowest.pop();
  }
  return lowest.map((s) => s.id);
}
