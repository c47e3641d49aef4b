/**
 * What a process (sequential or hierarchical) gets from the crew, and the shared bookkeeping of one
 * task: coordinator records (`assigned`, `started`, `completed`/`failed`) and step events.
 *
 * @module
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { Agent, ResolvedPersona } from "./agent.js";
import type { CrewEvents } from "./events.js";
import type { CrewInputs } from "./interpolate.js";
import type { RunMemory } from "./memory-wiring.js";
import type { Task, TaskOutput } from "./task.js";
import type { TokenUsage } from "./usage.js";

/** How a crew runs its tasks. */
export const Process = {
  /** Tasks run in order; each output is context for the next unless `context` says otherwise. */
  sequential: "sequential",
  /** A manager plans, delegates through `delegate_work` and validates each task's output. */
  hierarchical: "hierarchical",
} as const;

/** A {@link Process} value. */
export type ProcessKind = (typeof Process)[keyof typeof Process];

/** Everything a process needs for one kickoff. */
export interface ProcessContext {
  agents: readonly Agent[];
  tasks: readonly Task[];
  /** The unique name of each task within the crew. */
  taskName: (task: Task) => string;
  inputs: CrewInputs;
  personas: ReadonlyMap<Agent, ResolvedPersona>;
  run: RunMemory;
  events: CrewEvents;
  usage: TokenUsage;
  contextTokens: number;
  /** Hierarchical only. */
  managerLlm?: BaseChatModel | undefined;
  maxDelegations: number;
  /** Roles the manager may delegate to. */
  allowedAgents?: readonly string[] | undefined;
}

/** Outputs of upstream tasks: the task's `context`, or else the previous task's output. */
export function upstreamOf(
  task: Task,
  done: ReadonlyMap<Task, TaskOutput>,
  previous: TaskOutput | undefined,
): { task: string; raw: string }[] {
  const sources = task.context
    ? task.context.map((t) => done.get(t)).filter((o): o is TaskOutput => o !== undefined)
    : previous
      ? [previous]
      : [];
  return sources.map((o) => ({ task: o.name, raw: o.raw }));
}

/**
 * Runs `work` as one tracked unit: records `assigned` and `started`, emits `taskStarted`, then
 * `completed` + `taskCompleted` or `failed` + `taskFailed` (and rethrows).
 */
export async function tracked(
  ctx: ProcessContext,
  task: string,
  agent: string,
  work: () => Promise<TaskOutput>,
  extra: { delegated_by?: string } = {},
): Promise<TaskOutput> {
  const sessionId = ctx.run.sessionId;
  await ctx.run.status(task, agent, "assigned", extra);
  await ctx.run.status(task, agent, "started", extra);
  ctx.events.emit("taskStarted", { task, agent, sessionId });
  try {
    const output = await work();
    await ctx.run.status(task, agent, "completed", extra);
    ctx.events.emit("taskCompleted", { task, agent, sessionId, output });
    return output;
  } catch (error) {
    await ctx.run
      .status(task, agent, "failed", { ...extra, error: String((error as Error)?.message ?? error) })
      .catch(() => undefined);
    ctx.events.emit("taskFailed", { task, agent, sessionId, error });
    throw error;
  }
}
