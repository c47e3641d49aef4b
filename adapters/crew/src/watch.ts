/**
 * Reactive agents: act on new memories of a namespace through the engine's event stream.
 *
 * @module
 */
import {
  LociError,
  type LociEvent,
  type Memory,
  type MemoryClient,
  type Metadata,
  type Subscription,
} from "@loci/engine";
import type { Agent } from "./agent.js";
import { deepEqual } from "./deep-equal.js";

/** Options of `agent.watch`. */
export interface WatchOptions {
  /** The client to subscribe with (the agent's key must be able to read `namespace`). */
  memory: MemoryClient;
  namespace: string;
  /**
   * A predicate, or metadata whose every key must be present with a structurally equal value (e.g.
   * `{ severity: "high" }`): nested object keys may come in any order, arrays must match in order.
   */
  filter?: ((memory: Memory) => boolean) | Metadata;
  /** Called for every new matching memory; awaited in order. */
  onEvent: (memory: Memory, ctx: { agent: Agent; event: LociEvent }) => void | Promise<void>;
  /** Called when a handler or a lookup fails (default: ignore). */
  onError?: (error: unknown) => void;
}

/** A running watch. */
export interface WatchHandle {
  stop(): void;
}

function matches(memory: Memory, filter: WatchOptions["filter"]): boolean {
  if (filter === undefined) return true;
  if (typeof filter === "function") return filter(memory);
  return Object.entries(filter).every(([k, v]) => deepEqual(memory.metadata[k], v));
}

/** Creates the namespace when missing (ignoring a concurrent creation). */
async function ensureNamespace(client: MemoryClient, namespace: string): Promise<void> {
  try {
    await client.namespace.create({ name: namespace });
  } catch (err) {
    if (!(LociError.isInstance(err) && err.code === "ALREADY_EXISTS")) throw err;
  }
}

/**
 * Subscribes to `memory.added` events of a namespace and hands matching memories to `onEvent`. A
 * namespace that does not exist yet is created first (this needs write access to it).
 */
export async function watchMemories(agent: Agent, opts: WatchOptions): Promise<WatchHandle> {
  const subscribe = () =>
    opts.memory.events.subscribe({ namespace: opts.namespace, types: ["memory.added"] }, handler);
  const handler = async (event: LociEvent) => {
    try {
      const memory = await opts.memory.memory.get({ namespace: event.namespace, id: event.id });
      if (matches(memory, opts.filter)) await opts.onEvent(memory, { agent, event });
    } catch (err) {
      opts.onError?.(err);
    }
  };
  let sub: Subscription;
  try {
    sub = await subscribe();
  } catch (err) {
    if (!(LociError.isInstance(err) && err.code === "NAMESPACE_NOT_FOUND")) throw err;
    await ensureNamespace(opts.memory, opts.namespace);
    sub = await subscribe();
  }
  return { stop: () => sub.unsubscribe() };
}
