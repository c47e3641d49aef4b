/**
 * Checks after a restart: every acknowledged write is present, readable and findable (the indexes
 * agree with the database), nothing unacknowledged is half-visible, nothing is stored twice, and the
 * event log resumed with `Last-Event-ID` is gap-free and holds an event for every write.
 *
 * @module
 */
import type { LociClient } from "@loci/client";
import type { Memory, Page, Session } from "@loci/engine";
import { ROOT_KEY } from "../../harness/server-process.js";
import type { RunStats } from "./stats.js";
import { agentOf, tokenOf, type WriteOp } from "./workload.js";

/** One event as the SSE route sends it. */
export interface WireEvent {
  seq: number;
  type: string;
  id: string;
}

/** Every item of a paged listing. */
async function allPages<T>(list: (cursor: { cursor?: string }) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  for (let cursor: string | undefined; ; ) {
    const page = await list(cursor ? { cursor } : {});
    out.push(...page.items);
    if (!page.nextCursor) return out;
    cursor = page.nextCursor;
  }
}

/** Every memory of a namespace, in insertion order. */
export function allMemories(client: LociClient, namespace: string): Promise<Memory[]> {
  return allPages((c) => client.memory.list({ namespace, limit: 1000, ...c }));
}

function allSessions(client: LociClient, namespace: string): Promise<Session[]> {
  return allPages((c) => client.session.list({ namespace, limit: 1000, ...c }));
}

/**
 * Reads a namespace's events over SSE, resuming after `lastEventId`, until `done(events)` holds and
 * no event arrived for `quietMs` (or `timeoutMs` passes).
 */
export async function readEvents(opts: {
  url: string;
  /** @default the reliability servers' root key */
  apiKey?: string;
  namespace: string;
  lastEventId: number;
  done: (events: WireEvent[]) => boolean;
  quietMs?: number;
  timeoutMs?: number;
}): Promise<WireEvent[]> {
  const ctrl = new AbortController();
  const events: WireEvent[] = [];
  const res = await fetch(`${opts.url}/v1/namespaces/${encodeURIComponent(opts.namespace)}/events`, {
    headers: {
      authorization: `Bearer ${opts.apiKey ?? ROOT_KEY}`,
      "last-event-id": String(opts.lastEventId),
    },
    signal: ctrl.signal,
  });
  if (res.status !== 200) throw new Error(`events: HTTP ${res.status} ${await res.text()}`);
  let last = Date.now();
  const started = last;
  const watchdog = setInterval(() => {
    const now = Date.now();
    const quiet = now - last >= (opts.quietMs ?? 250);
    if ((quiet && opts.done(events)) || now - started > (opts.timeoutMs ?? 15_000)) ctrl.abort();
  }, 25);
  try {
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const id = /^id: (\d+)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (id === undefined || data === undefined) continue;
        const e = JSON.parse(data) as WireEvent;
        if (e.seq !== Number(id)) throw new Error(`event id ${id} differs from its seq ${e.seq}`);
        events.push({ seq: e.seq, type: e.type, id: e.id });
        last = Date.now();
      }
    }
  } catch (err) {
    if (!ctrl.signal.aborted) throw err;
  } finally {
    clearInterval(watchdog);
  }
  return events;
}

/** What {@link Verifier} found wrong (empty when all is well). */
export type Problems = string[];

/** Verifies a server's state against the write log, round after round. */
export class Verifier {
  /** Last event seq seen per namespace (the `Last-Event-ID` of the next check). */
  readonly lastSeq = new Map<string, number>();
  /** Subjects of every event seen per namespace, by type. */
  readonly #seen = new Map<string, Map<string, Set<string>>>();

  constructor(
    readonly namespaces: readonly string[],
    readonly stats: RunStats,
  ) {}

  #seenOf(ns: string, type: string): Set<string> {
    const byType = this.#seen.get(ns) ?? new Map<string, Set<string>>();
    this.#seen.set(ns, byType);
    const set = byType.get(type) ?? new Set<string>();
    byType.set(type, set);
    return set;
  }

  /** Checks everything `ops` wrote, searching the tokens of `round`. */
  async check(client: LociClient, url: string, ops: readonly WriteOp[], round: number): Promise<Problems> {
    const found = await Promise.all(
      this.namespaces.map((ns) => this.#checkNamespace(client, url, ns, ops, round)),
    );
    return found.flat();
  }

  async #checkNamespace(
    client: LociClient,
    url: string,
    ns: string,
    ops: readonly WriteOp[],
    round: number,
  ): Promise<Problems> {
    const problems: Problems = [];
    const mine = ops.filter((o) => o.namespace === ns);
    const memories = await allMemories(client, ns);
    const byContent = new Map<string, Memory[]>();
    for (const m of memories) byContent.set(m.content, [...(byContent.get(m.content) ?? []), m]);
    const expected = new Set(
      mine.flatMap((o) => (o.kind === "memory" || o.kind === "batch" ? o.contents : [])),
    );
    for (const [content, list] of byContent) {
      if (list.length > 1) {
        this.stats.duplicates += list.length - 1;
        problems.push(`${ns}: "${content}" stored ${list.length} times`);
      }
      if (!expected.has(content)) problems.push(`${ns}: unexpected memory "${content.slice(0, 80)}"`);
    }
    const sessions = await allSessions(client, ns);
    const sessionTokens = new Map<string, number>();
    for (const s of sessions) {
      const t = String(s.metadata.token);
      sessionTokens.set(t, (sessionTokens.get(t) ?? 0) + 1);
    }
    for (const [t, n] of sessionTokens) {
      if (n > 1) {
        this.stats.duplicates += n - 1;
        problems.push(`${ns}: session ${t} stored ${n} times`);
      }
    }
    const edgeTargets = new Map<number, Set<string>>();
    for (const k of new Set(mine.filter((o) => o.kind === "edge").map((o) => o.client))) {
      const entity = await client.knowledgeGraph
        .getEntity({ namespace: ns, entity: agentOf(k) })
        .catch(() => null);
      edgeTargets.set(k, new Set(entity?.outEdges.map((e) => e.target.name) ?? []));
    }

    for (const op of mine) {
      let present: number;
      if (op.kind === "memory" || op.kind === "batch") {
        present = op.contents.filter((c) => byContent.has(c)).length;
        if (op.acked) {
          const stored = op.contents.map((c) => byContent.get(c)?.[0]?.id);
          if (stored.some((id, i) => id !== op.ids[i]))
            problems.push(`${ns}: acked ids of ${op.contents[0]} differ`);
        }
      } else if (op.kind === "session") {
        present = sessionTokens.has(op.contents[0]!) ? 1 : 0;
      } else {
        present = edgeTargets.get(op.client)?.has(op.contents[0]!) ? 1 : 0;
      }
      if (op.acked && present < op.contents.length) {
        this.stats.lost++;
        problems.push(`${ns}: acknowledged ${op.kind} ${op.contents[0]} is missing`);
      }
      if (!op.acked && op.round === round && present === op.contents.length) this.stats.committedUnacked++;
      if (present > 0 && present < op.contents.length)
        problems.push(`${ns}: batch ${op.contents[0]} half-visible`);
    }

    // Index and database agree: the keyword index finds exactly the stored memories of each
    // round/client token, and the vector index ranks a sample of them first for their own text.
    for (const k of new Set(mine.filter((o) => o.round === round).map((o) => o.client))) {
      const token = tokenOf(round, k);
      const inDb = memories.filter((m) => m.content.includes(`${token} `)).map((m) => m.id);
      const hits = await client.memory.search({
        namespace: ns,
        query: token,
        mode: "keyword",
        limit: 1000,
      });
      const found = new Set(hits.map((h) => h.memory.id));
      if (found.size !== inDb.length || inDb.some((id) => !found.has(id))) {
        problems.push(
          `${ns}: keyword search for ${token} found ${found.size}, database holds ${inDb.length}`,
        );
      }
      for (const id of inDb.slice(0, 1)) {
        const m = memories.find((x) => x.id === id)!;
        const [top] = await client.memory.search({
          namespace: ns,
          query: m.content,
          mode: "vector",
          limit: 1,
        });
        if (top?.memory.id !== id) problems.push(`${ns}: vector search does not find ${m.content}`);
      }
    }
    for (const m of memories.slice(-3)) {
      const got = await client.memory.get({ namespace: ns, id: m.id });
      if (got.content !== m.content) problems.push(`${ns}: get ${m.id} reads other content`);
    }

    const edgeCount = [...edgeTargets.values()].reduce((n, set) => n + set.size, 0);
    problems.push(...(await this.#checkEvents(url, ns, { memories, sessions, edgeCount })));
    return problems;
  }

  /** The event log resumes after the last seen seq without gaps, with an event per stored write. */
  async #checkEvents(
    url: string,
    ns: string,
    stored: { memories: Memory[]; sessions: Session[]; edgeCount: number },
  ): Promise<Problems> {
    const { memories, sessions, edgeCount } = stored;
    const problems: Problems = [];
    const added = this.#seenOf(ns, "memory.added");
    const created = this.#seenOf(ns, "session.created");
    const edges = this.#seenOf(ns, "edge.added");
    const after = this.lastSeq.get(ns) ?? 0;
    const events = await readEvents({
      url,
      quietMs: 120,
      namespace: ns,
      lastEventId: after,
      done: (evs) => {
        const ids = new Set(evs.filter((e) => e.type === "memory.added").map((e) => e.id));
        const ss = new Set(evs.filter((e) => e.type === "session.created").map((e) => e.id));
        const es = new Set(evs.filter((e) => e.type === "edge.added").map((e) => e.id));
        return (
          edges.size + [...es].filter((id) => !edges.has(id)).length >= edgeCount &&
          memories.every((m) => added.has(m.id) || ids.has(m.id)) &&
          sessions.every((s) => created.has(s.id) || ss.has(s.id))
        );
      },
    });
    let expect = after + 1;
    for (const e of events) {
      if (e.seq !== expect) {
        problems.push(`${ns}: event seq ${e.seq} follows ${expect - 1} (gap or repeat)`);
        break;
      }
      expect++;
      this.#seenOf(ns, e.type).add(e.id);
    }
    if (events.length > 0) this.lastSeq.set(ns, events[events.length - 1]!.seq);
    for (const m of memories) if (!added.has(m.id)) problems.push(`${ns}: no memory.added event for ${m.id}`);
    for (const s of sessions)
      if (!created.has(s.id)) problems.push(`${ns}: no session.created event for ${s.id}`);
    if (added.size !== memories.length)
      problems.push(`${ns}: ${added.size} memory.added events, ${memories.length} memories`);
    if (created.size !== sessions.length)
      problems.push(`${ns}: ${created.size} session.created events, ${sessions.length} sessions`);
    if (edges.size !== edgeCount) problems.push(`${ns}: ${edges.size} edge.added events, ${edgeCount} edges`);
    return problems;
  }
}
