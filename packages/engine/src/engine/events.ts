/**
 * `client.events`: in-process subscriptions over each namespace's durable change log.
 *
 * Every write appends change-log entries in its own transaction; after the write commits (still
 * inside the namespace's write lock) the hub reads the entries its subscribers have not seen and
 * queues them per subscriber, so each subscriber sees every event once, in order. `since` replays
 * from the log first, which makes a resume after a disconnect lossless.
 *
 * @module
 */
import { ValidationError } from "../errors.js";
import type { ChangeRecord } from "../storage/driver.js";
import type { EventsApi, LociEvent, LociEventType, SubscribeOptions, Subscription } from "../types.js";
import { assertInteger } from "../validation.js";
import type { ReportFailure } from "./background-failures.js";
import type { EngineCore } from "./core.js";
import { type StreamOptions, streamEvents } from "./event-stream.js";
import type { NamespaceRuntime } from "./namespace-runtime.js";
import { changePages } from "./runtime-load.js";

const EVENT_TYPES: readonly LociEventType[] = [
  "memory.added",
  "memory.updated",
  "memory.deleted",
  "memory.evicted",
  "memory.expired",
  "session.created",
  "session.ended",
  "entity.added",
  "entity.updated",
  "entity.removed",
  "edge.added",
  "edge.updated",
  "edge.removed",
];

interface Subscriber {
  cursor: number;
  types: ReadonlySet<LociEventType> | null;
  handler: (event: LociEvent) => void | Promise<void>;
  chain: Promise<void>;
  active: boolean;
}

function toEvent(namespace: string, c: ChangeRecord): LociEvent {
  return {
    seq: c.generation,
    namespace,
    type: c.type,
    id: c.subjectId,
    at: new Date(c.at).toISOString(),
    data: c.payload,
  };
}

/** Fans change-log entries out to subscribers. One per engine. */
export class EventHub {
  readonly #subs = new Map<string, Set<Subscriber>>();
  readonly #report: ReportFailure | undefined;

  /** `report` is told of handlers that throw or reject (their subscription stays active). */
  constructor(opts: { report?: ReportFailure } = {}) {
    this.#report = opts.report;
  }

  /** Delivers changes the namespace's subscribers have not seen. Called after every commit, under the lock. */
  async publish(rt: NamespaceRuntime): Promise<void> {
    const subs = this.#subs.get(rt.name);
    if (!subs || subs.size === 0) return;
    await this.#deliver(rt, [...subs]);
  }

  async #deliver(rt: NamespaceRuntime, subs: Subscriber[]): Promise<void> {
    for await (const changes of changePages(rt.store, Math.min(...subs.map((s) => s.cursor)))) {
      for (const change of changes) {
        for (const sub of subs) {
          if (!sub.active || change.generation <= sub.cursor) continue;
          sub.cursor = change.generation;
          if (sub.types && !sub.types.has(change.type)) continue;
          const event = toEvent(rt.name, change);
          sub.chain = sub.chain
            .then(() => (sub.active ? sub.handler(event) : undefined))
            .catch((error: unknown) =>
              this.#report?.({ work: "event-handler", namespace: rt.name, error, retryInMs: null }),
            );
        }
      }
    }
  }

  /** Registers a subscriber, replaying from `since` first (inside the namespace's write lock). */
  async subscribe(
    rt: NamespaceRuntime,
    opts: { since: number | null; types: ReadonlySet<LociEventType> | null },
    handler: Subscriber["handler"],
  ): Promise<Subscription> {
    const sub: Subscriber = { cursor: 0, types: opts.types, handler, chain: Promise.resolve(), active: true };
    await rt.write(async () => {
      const current = await rt.store.generation();
      sub.cursor = opts.since === null ? current : Math.min(opts.since, current);
      if (sub.cursor < current) await this.#deliver(rt, [sub]);
      const set = this.#subs.get(rt.name) ?? new Set<Subscriber>();
      this.#subs.set(rt.name, set);
      set.add(sub);
    });
    return {
      unsubscribe: () => {
        sub.active = false;
        this.#subs.get(rt.name)?.delete(sub);
      },
    };
  }

  /** Whether a namespace has active subscribers (its runtime then stays open). */
  hasSubscribers(namespace: string): boolean {
    return (this.#subs.get(namespace)?.size ?? 0) > 0;
  }

  /** Drops every subscriber of a namespace (it was deleted). */
  drop(namespace: string): void {
    for (const sub of this.#subs.get(namespace) ?? []) sub.active = false;
    this.#subs.delete(namespace);
  }
}

/** The events section of the embedded client. */
export class EventsService implements EventsApi {
  readonly #core: EngineCore;

  constructor(core: EngineCore) {
    this.#core = core;
  }

  async subscribe(
    opts: SubscribeOptions,
    handler: (event: LociEvent) => void | Promise<void>,
  ): Promise<Subscription> {
    if (typeof handler !== "function") {
      throw new ValidationError({ message: "handler must be a function", details: { field: "handler" } });
    }
    const since =
      opts?.since === undefined ? null : assertInteger(opts.since, "since", 0, Number.MAX_SAFE_INTEGER);
    let types: Set<LociEventType> | null = null;
    if (opts?.types !== undefined) {
      if (!Array.isArray(opts.types) || opts.types.some((t) => !EVENT_TYPES.includes(t))) {
        throw new ValidationError({
          message: `types must be a list of ${EVENT_TYPES.join(", ")}`,
          details: { field: "types" },
        });
      }
      types = new Set(opts.types);
    }
    return this.#core.use(opts?.namespace, async (rt) => {
      return this.#core.events.subscribe(rt, { since, types }, handler);
    });
  }

  stream(opts: StreamOptions): AsyncIterable<LociEvent> {
    return streamEvents((o, h) => this.subscribe(o, h), opts);
  }
}
