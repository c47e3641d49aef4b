/**
 * The commit of a group of inserts (`group-commit.ts`), inside the namespace's write lock: evictions
 * for `maxMemories`, removed ids refused, `dedupe` answered from stored memories, then the runtime
 * updated from what was written.
 *
 * @module
 */
import type { MemoryRecord, NewMemoryRecord } from "../storage/driver.js";
import { planInserts } from "./dedupe.js";
import { pickEvictions } from "./eviction.js";
import type { NamespaceRuntime } from "./namespace-runtime.js";

/** One `add` / `addMany` call's records, ready to commit. */
export interface InsertRequest {
  records: NewMemoryRecord[];
  dims: number;
  /** `AddOptions.refuseRemovedIds`. */
  refuseRemoved: boolean;
  /** `AddOptions.dedupe`. */
  dedupe: boolean;
}

/** A stored record with the access statistics the in-memory table has now (not yet persisted). */
function withAccess(rt: NamespaceRuntime, rec: MemoryRecord): MemoryRecord {
  const doc = rt.docs.get(rec.seq);
  return doc ? { ...rec, lastAccessedAt: doc.lastAccessedAt, accessCount: doc.accessCount } : rec;
}

/** What a commit needs from the engine. */
export interface CommitEnv {
  now: () => number;
  /** Records the embedding model at the namespace's first write. */
  fixEmbedding: (dimensions: number) => Promise<void>;
}

/**
 * Inserts the records of `requests` in one transaction (inside the write lock); results per request.
 * With `dedupe`, records repeating a stored memory (or one before them in the group) are answered
 * with it instead (`dedupe.ts`), and the repetition counts as an access of it.
 */
export async function commitInserts(
  rt: NamespaceRuntime,
  requests: readonly InsertRequest[],
  env: CommitEnv,
): Promise<MemoryRecord[][]> {
  await env.fixEmbedding(requests[0]!.dims);
  const now = env.now();
  const plan = requests.some((r) => r.dedupe) ? await planInserts(rt, requests, now) : null;
  const all = plan
    ? plan.insert
    : requests.length === 1
      ? requests[0]!.records
      : requests.flatMap((r) => r.records);
  const refuseRemoved =
    plan?.refuseRemoved ?? requests.flatMap((r) => (r.refuseRemoved ? r.records.map((m) => m.id) : []));
  const repeated = new Set(plan?.repeated);
  const inserted = all.length > 0 ? await store(rt, { all, refuseRemoved, repeated, now }) : [];
  if (plan) {
    // Only once committed: a commit that throws changes nothing (its requests are retried one by one).
    if (repeated.size > 0) rt.recordAccess([...repeated], now);
    return plan.slots.map((slots) =>
      slots.map((slot) => ("at" in slot ? inserted[slot.at]! : withAccess(rt, slot.existing))),
    );
  }
  const out: MemoryRecord[][] = [];
  let at = 0;
  for (const r of requests) {
    out.push(inserted.slice(at, at + r.records.length));
    at += r.records.length;
  }
  return out;
}

/**
 * Inserts records with the evictions they cause, and applies the commit to the runtime. Memories in
 * `repeated` are ranked for eviction as accessed `now` (the access is recorded once this commits), so
 * a memory just repeated is not the one evicted for the new ones.
 */
async function store(
  rt: NamespaceRuntime,
  opts: {
    all: readonly NewMemoryRecord[];
    refuseRemoved: readonly string[];
    repeated: ReadonlySet<number>;
    now: number;
  },
): Promise<MemoryRecord[]> {
  const { all, refuseRemoved, repeated, now } = opts;
  const candidates = function* () {
    if (repeated.size === 0) yield* rt.docs.values();
    else for (const d of rt.docs.values()) yield repeated.has(d.seq) ? { ...d, lastAccessedAt: now } : d;
    yield* all;
  };
  const evict = pickEvictions(candidates(), rt.docs.size + all.length, rt.record.config, now);
  const { inserted, evicted, createdEntities } = await rt.store.insert(all, { evict, refuseRemoved });
  const generation = await rt.store.generation();
  for (const e of createdEntities) rt.loadedGraph?.putEntity(e);
  rt.applyUpserts(inserted, generation);
  rt.applyDeletes(evicted, generation);
  return inserted;
}
