/**
 * `Crew`: agents, tasks and a process, with Loci memory wired into every kickoff.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { LociError, type MemoryClient, type Metadata } from "@loci/engine";
import type { Agent, ResolvedPersona } from "./agent.js";
import { CrewError } from "./errors.js";
import { type CrewCallbacks, type CrewEventMap, type CrewEventName, CrewEvents } from "./events.js";
import type { CrewInputs } from "./interpolate.js";
import { RunMemory } from "./memory-wiring.js";
import { type CrewNamespaces, crewNamespaces, slugify } from "./namespaces.js";
import { Process, type ProcessContext, type ProcessKind } from "./process.js";
import { DEFAULT_MAX_DELEGATIONS, runHierarchical } from "./process-hierarchical.js";
import { runSequential } from "./process-sequential.js";
import { type ConnectFn, provisionAgentClients } from "./server-isolation.js";
import type { Task, TaskOutput } from "./task.js";
import { uniqueTaskNames } from "./task-names.js";
import { emptyUsage, type TokenUsage } from "./usage.js";

/** Options of {@link Crew}. */
export interface CrewConfig {
  agents: readonly Agent[];
  tasks: readonly Task[];
  /** @default Process.sequential */
  process?: ProcessKind;
  /** The manager's model (hierarchical process). */
  managerLlm?: BaseChatModel;
  /** Crew name / prefix of its namespaces: `<namespace>-shared`, `<namespace>-coordinator`, `<namespace>-<role>`. */
  namespace: string;
  /** The crew's client: coordinator records and sessions; also every agent's client unless overridden. */
  memory: MemoryClient;
  /** A client per agent role (overrides `agent.memory`), e.g. clients with per-agent scoped keys. */
  agentMemory?: ReadonlyMap<string, MemoryClient> | Readonly<Record<string, MemoryClient>>;
  callbacks?: CrewCallbacks;
  /** Token budget of the recalled memory per task (tokens ≈ chars / 4). @default 1500 */
  contextTokens?: number;
  /** Bound of the manager's delegations per task. @default 5 */
  maxDelegations?: number;
  /** Roles the manager may delegate to. @default every agent with `allowDelegation` */
  allowedAgents?: readonly string[];
}

/** Options of {@link Crew.withServer}. */
export interface CrewServerConfig extends Omit<CrewConfig, "memory" | "agentMemory"> {
  /** An admin API key: acts as the coordinator and mints the agents' keys. */
  adminKey: string;
  /** Opens a client with a key, e.g. `(apiKey) => new LociClient({ baseUrl, apiKey })`. */
  connect: ConnectFn;
  /** Expiry of the agents' keys (ISO date). */
  keyExpiresAt?: string;
}

/** Options of {@link Crew.kickoff}. */
export interface KickoffOptions {
  inputs?: CrewInputs;
  /** The run id (session id in every crew namespace). @default a random UUID */
  sessionId?: string;
  /** Stored as the sessions' metadata. */
  metadata?: Metadata;
}

/** The result of a kickoff. */
export interface CrewOutput {
  /** The last task's answer. */
  raw: string;
  /** The last task's parsed JSON (with an `outputSchema`). */
  json?: unknown;
  tasksOutput: TaskOutput[];
  tokenUsage: TokenUsage;
  /** The run id. */
  sessionId: string;
}

/** A crew of agents. */
/** Which of a crew's namespaces {@link Crew.resetMemories} clears. */
export type MemoryScope = "all" | "shared" | "private" | "coordinator";
const MEMORY_SCOPES: readonly MemoryScope[] = ["all", "shared", "private", "coordinator"];

export class Crew {
  readonly agents: readonly Agent[];
  readonly tasks: readonly Task[];
  readonly process: ProcessKind;
  readonly namespaces: CrewNamespaces;
  readonly memory: MemoryClient;
  readonly #config: CrewConfig;
  readonly #events: CrewEvents;
  readonly #agentMemory: Map<string, MemoryClient>;
  readonly #owned: MemoryClient[] = [];
  #names = new Map<Task, string>();

  constructor(config: CrewConfig) {
    this.#config = config;
    this.agents = config.agents;
    this.tasks = config.tasks;
    this.process = config.process ?? Process.sequential;
    this.memory = config.memory;
    this.namespaces = crewNamespaces(config.namespace);
    this.#events = new CrewEvents(config.callbacks);
    const am = config.agentMemory;
    this.#agentMemory = new Map(am instanceof Map ? am : Object.entries(am ?? {}));
    this.#validate();
  }

  #validate(): void {
    const slugs = new Set<string>();
    for (const a of this.agents) {
      this.namespaces.privateOf(a.role);
      const slug = slugify(a.role);
      if (slugs.has(slug)) throw new CrewError("INVALID_CONFIG", `two agents share the role slug "${slug}"`);
      slugs.add(slug);
    }
    if (this.tasks.length === 0) throw new CrewError("INVALID_CONFIG", "a crew needs at least one task");
    this.#names = uniqueTaskNames(this.tasks);
    for (const [i, t] of this.tasks.entries()) {
      const name = this.taskName(t);
      for (const c of t.context ?? []) {
        // Tasks run in list order: a later (or foreign) context task has no output yet.
        if (!this.tasks.slice(0, i).includes(c)) {
          throw new CrewError(
            "INVALID_CONFIG",
            `task "${name}" has "${this.#names.get(c) ?? c.name}" in its context, which is not an earlier task of the crew (it runs later or is not in the crew)`,
          );
        }
      }
      if (t.agent && !this.agents.includes(t.agent)) {
        throw new CrewError("INVALID_CONFIG", `task "${name}" uses an agent that is not in the crew`);
      }
      if (this.process === Process.sequential && !t.agent) {
        throw new CrewError("INVALID_CONFIG", `task "${name}" has no agent (sequential process)`);
      }
    }
    if (this.process === Process.hierarchical && !this.#config.managerLlm) {
      throw new CrewError("INVALID_CONFIG", "the hierarchical process needs managerLlm");
    }
  }

  /**
   * A crew against a Loci server with real isolation: mints one key per agent through `POST /v1/keys`
   * (scoped to its private namespace and the shared one, read + write, and the coordinator, read),
   * and gives each agent its own client. The admin key's client acts as the coordinator.
   */
  static async withServer(config: CrewServerConfig): Promise<Crew> {
    const { adminKey, connect, keyExpiresAt, ...rest } = config;
    const admin = connect(adminKey);
    const layout = crewNamespaces(config.namespace);
    const clients = await provisionAgentClients({
      admin,
      connect,
      layout,
      roles: config.agents.map((a) => a.role),
      keyName: "crew",
      ...(keyExpiresAt ? { expiresAt: keyExpiresAt } : {}),
    });
    const crew = new Crew({ ...rest, memory: admin, agentMemory: clients });
    crew.#owned.push(admin, ...clients.values());
    return crew;
  }

  /** Adds an event listener; returns a function that removes it. */
  on<K extends CrewEventName>(event: K, fn: (payload: CrewEventMap[K]) => void): () => void {
    return this.#events.on(event, fn);
  }

  /**
   * The name a task runs under in this crew (coordinator records, shared outputs, `TaskOutput.name`):
   * its explicit `name`, or its default name made unique with a `-2`, `-3`, … suffix.
   *
   * @throws {CrewError} `INVALID_CONFIG` when the task is not in the crew
   */
  taskName(task: Task): string {
    const name = this.#names.get(task);
    if (name === undefined) throw new CrewError("INVALID_CONFIG", `task "${task.name}" is not in the crew`);
    return name;
  }

  /** The client an agent acts with (by agent or role). */
  memoryFor(agent: Agent | string): MemoryClient {
    const role = typeof agent === "string" ? agent : agent.role;
    const a = this.agents.find((x) => x.role === role);
    return this.#agentMemory.get(role) ?? a?.memory ?? this.memory;
  }

  /**
   * Runs the crew: interpolates inputs, opens the run's session in every crew namespace, runs the
   * process, and ends the sessions.
   *
   * @throws {MissingInputError} before anything is written when a placeholder has no input
   */
  async kickoff(opts: KickoffOptions = {}): Promise<CrewOutput> {
    const inputs = opts.inputs ?? {};
    const personas = new Map<Agent, ResolvedPersona>(this.agents.map((a) => [a, a.resolve(inputs)]));
    for (const t of this.tasks) t.resolve(inputs, this.taskName(t));
    const sessionId = opts.sessionId ?? randomUUID();
    const run = new RunMemory({
      coordinator: this.memory,
      clientOf: (a) => this.memoryFor(a),
      layout: this.namespaces,
      sessionId,
      events: this.#events,
    });
    const usage = emptyUsage();
    const ctx: ProcessContext = {
      agents: this.agents,
      tasks: this.tasks,
      taskName: (t) => this.taskName(t),
      inputs,
      personas,
      run,
      events: this.#events,
      usage,
      contextTokens: this.#config.contextTokens ?? 1500,
      managerLlm: this.#config.managerLlm,
      maxDelegations: this.#config.maxDelegations ?? DEFAULT_MAX_DELEGATIONS,
      allowedAgents: this.#config.allowedAgents,
    };
    try {
      // Inside the try: when opening one session fails, the ones already opened are still ended.
      await run.open(this.agents, { crew: this.#config.namespace, process: this.process, ...opts.metadata });
      const tasksOutput =
        this.process === Process.hierarchical ? await runHierarchical(ctx) : await runSequential(ctx);
      const last = tasksOutput[tasksOutput.length - 1]!;
      const out: CrewOutput = { raw: last.raw, tasksOutput, tokenUsage: usage, sessionId };
      if (last.json !== undefined) out.json = last.json;
      return out;
    } finally {
      await run.close();
    }
  }

  /**
   * Forgets what the crew remembers (CrewAI's `reset_memories`): the memories of its namespaces —
   * every one, or one run's only (`runId`: that kickoff's `sessionId`) — in `scope`: `"all"` (default),
   * `"shared"`, `"private"` (every agent's) or `"coordinator"`. Each namespace is cleared by the client
   * that writes it (an agent's own for its private namespace), with one `memory.deleteMany` per
   * namespace; namespaces never written are skipped. Knowledge-graph entities and edges stay. Returns
   * how many memories went, by namespace.
   */
  async resetMemories(opts: { runId?: string; scope?: MemoryScope } = {}): Promise<Record<string, number>> {
    const scope = opts.scope ?? "all";
    if (!MEMORY_SCOPES.includes(scope)) {
      throw new CrewError(
        "INVALID_CONFIG",
        `scope must be one of ${MEMORY_SCOPES.join(", ")} (got "${scope}")`,
      );
    }
    const targets: [string, MemoryClient][] = [];
    if (scope === "all" || scope === "shared") targets.push([this.namespaces.shared, this.memory]);
    if (scope === "all" || scope === "private")
      for (const a of this.agents) targets.push([this.namespaces.privateOf(a.role), this.memoryFor(a)]);
    if (scope === "all" || scope === "coordinator") targets.push([this.namespaces.coordinator, this.memory]);
    const out: Record<string, number> = {};
    for (const [namespace, client] of targets) {
      const by = opts.runId === undefined ? { filter: {} } : { sessionId: opts.runId };
      try {
        out[namespace] = (await client.memory.deleteMany({ namespace, ...by })).deleted;
      } catch (err) {
        if (!LociError.isInstance(err) || err.code !== "NAMESPACE_NOT_FOUND") throw err;
        out[namespace] = 0;
      }
    }
    return out;
  }

  /** Closes the clients this crew opened itself (`withServer`). */
  async close(): Promise<void> {
    await Promise.allSettled(this.#owned.map((c) => c.close()));
  }
}
