/**
 * Memory wiring of one kickoff: the run's session in every crew namespace, private notes, shared
 * outputs with provenance, and the coordinator's status records.
 *
 * @module
 */
import { LociError, type Memory, type MemoryClient, type Metadata } from "@loci/engine";
import type { Agent } from "./agent.js";
import type { CrewEvents } from "./events.js";
import type { CrewNamespaces } from "./namespaces.js";

/** Status transitions recorded in the coordinator namespace. */
export type TaskStatus = "assigned" | "started" | "completed" | "failed";

/** What one agent may touch during a run: its private namespace and the shared one, through its own client. */
export interface AgentMemoryView {
  role: string;
  client: MemoryClient;
  privateNamespace: string;
  sharedNamespace: string;
  sessionId: string;
  events: CrewEvents;
}

/** Options of {@link RunMemory}. */
export interface RunMemoryOptions {
  /** The crew's own client: writes the coordinator namespace and opens the shared session. */
  coordinator: MemoryClient;
  /** The client an agent acts with (its own scoped client, or the crew's). */
  clientOf(agent: Agent): MemoryClient;
  layout: CrewNamespaces;
  sessionId: string;
  events: CrewEvents;
}

async function createSession(client: MemoryClient, namespace: string, id: string, metadata: Metadata) {
  try {
    await client.session.create({ namespace, id, metadata });
  } catch (err) {
    // a resumed run reuses its session
    if (!(LociError.isInstance(err) && err.code === "ALREADY_EXISTS")) throw err;
  }
}

/** Writes a memory and reports it as a `memoryWritten` event. */
export async function writeMemory(
  view: Pick<AgentMemoryView, "client" | "events">,
  scope: "private" | "shared" | "coordinator",
  input: { namespace: string; content: string; metadata: Metadata; sessionId: string; agentId: string },
): Promise<Memory> {
  const memory = await view.client.memory.add(input);
  view.events.emit("memoryWritten", { namespace: input.namespace, scope, memory });
  return memory;
}

/** The memory side of one kickoff. */
export class RunMemory {
  readonly sessionId: string;
  readonly layout: CrewNamespaces;
  readonly #opts: RunMemoryOptions;
  readonly #opened: { client: MemoryClient; namespace: string }[] = [];

  constructor(opts: RunMemoryOptions) {
    this.#opts = opts;
    this.sessionId = opts.sessionId;
    this.layout = opts.layout;
  }

  /**
   * Opens the run's session (id = run id) in the shared and coordinator namespaces and, through each
   * agent's own client, in its private namespace.
   */
  async open(agents: readonly Agent[], metadata: Metadata): Promise<void> {
    const { coordinator, layout } = this.#opts;
    const targets: { client: MemoryClient; namespace: string }[] = [
      { client: coordinator, namespace: layout.shared },
      { client: coordinator, namespace: layout.coordinator },
      ...agents.map((a) => ({ client: this.#opts.clientOf(a), namespace: layout.privateOf(a.role) })),
    ];
    for (const t of targets) {
      await createSession(t.client, t.namespace, this.sessionId, metadata);
      this.#opened.push(t);
    }
  }

  /** The memory view an agent acts through. */
  viewOf(agent: Agent): AgentMemoryView {
    return {
      role: agent.role,
      client: this.#opts.clientOf(agent),
      privateNamespace: this.layout.privateOf(agent.role),
      sharedNamespace: this.layout.shared,
      sessionId: this.sessionId,
      events: this.#opts.events,
    };
  }

  /** The view the hierarchical manager publishes through (the crew's client; no private namespace). */
  managerView(): AgentMemoryView {
    return {
      role: "manager",
      client: this.#opts.coordinator,
      privateNamespace: this.layout.coordinator,
      sharedNamespace: this.layout.shared,
      sessionId: this.sessionId,
      events: this.#opts.events,
    };
  }

  /** Records a task status transition in the coordinator namespace. */
  async status(task: string, agent: string, status: TaskStatus, extra: Metadata = {}): Promise<Memory> {
    return writeMemory({ client: this.#opts.coordinator, events: this.#opts.events }, "coordinator", {
      namespace: this.layout.coordinator,
      content: `task "${task}" ${status} (agent: ${agent})`,
      metadata: { kind: "task_status", status, task, agent, session_id: this.sessionId, ...extra },
      sessionId: this.sessionId,
      agentId: "coordinator",
    });
  }

  /** Stores an agent's working notes in its private namespace. */
  async note(view: AgentMemoryView, task: string, content: string): Promise<Memory | null> {
    if (content.trim().length === 0) return null;
    return writeMemory(view, "private", {
      namespace: view.privateNamespace,
      content,
      metadata: { kind: "working_note", task, session_id: this.sessionId },
      sessionId: this.sessionId,
      agentId: view.role,
    });
  }

  /** Publishes a finalized task output to the shared namespace with provenance. */
  async publish(view: AgentMemoryView, task: string, content: string, extra: Metadata = {}): Promise<Memory> {
    return writeMemory(view, "shared", {
      namespace: view.sharedNamespace,
      content,
      metadata: {
        kind: "task_output",
        source_agent: view.role,
        task,
        session_id: this.sessionId,
        ...extra,
      },
      sessionId: this.sessionId,
      agentId: view.role,
    });
  }

  /** Ends the run's sessions (best effort: a failure to end one does not hide the run's result). */
  async close(): Promise<void> {
    await Promise.allSettled(
      this.#opened.map((t) => t.client.session.end({ namespace: t.namespace, id: this.sessionId })),
    );
  }
}
