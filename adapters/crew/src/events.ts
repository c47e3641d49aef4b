/**
 * Crew step events: an options object of callbacks and an EventEmitter-like `on(event, fn)`.
 *
 * @module
 */
import type { Memory } from "@loci/engine";
import type { TaskOutput } from "./task.js";

/** Payloads of every crew event. */
export interface CrewEventMap {
  taskStarted: { task: string; agent: string; sessionId: string };
  taskCompleted: { task: string; agent: string; sessionId: string; output: TaskOutput };
  taskFailed: { task: string; agent: string; sessionId: string; error: unknown };
  /** A memory was written: an agent's private note, a shared output, or a coordinator record. */
  memoryWritten: { namespace: string; scope: "private" | "shared" | "coordinator"; memory: Memory };
  /** The hierarchical manager delegated work (`accepted` false when refused: unknown or disallowed role). */
  delegation: { task: string; toAgent: string; work: string; attempt: number; accepted: boolean };
}

/** Name of a crew event. */
export type CrewEventName = keyof CrewEventMap;

/** Callbacks for {@link CrewEventMap}, given as `new Crew({ callbacks })`. */
export type CrewCallbacks = { [K in CrewEventName]?: (payload: CrewEventMap[K]) => void };

type Listener<K extends CrewEventName> = (payload: CrewEventMap[K]) => void;

/**
 * A small typed emitter. A listener that throws does not stop the crew (the error is swallowed, like a
 * failing subscriber of the engine's event stream).
 */
export class CrewEvents {
  readonly #listeners = new Map<CrewEventName, Set<Listener<CrewEventName>>>();

  constructor(callbacks: CrewCallbacks = {}) {
    for (const [name, fn] of Object.entries(callbacks)) {
      if (fn) this.on(name as CrewEventName, fn as Listener<CrewEventName>);
    }
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends CrewEventName>(event: K, fn: Listener<K>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(fn as Listener<CrewEventName>);
    return () => set.delete(fn as Listener<CrewEventName>);
  }

  /** Calls every listener of `event`. */
  emit<K extends CrewEventName>(event: K, payload: CrewEventMap[K]): void {
    for (const fn of this.#listeners.get(event) ?? []) {
      try {
        (fn as Listener<K>)(payload);
      } catch {
        // listeners never break a run
      }
    }
  }
}
