/**
 * `@loci/crew`: a CrewAI-style coordinator for LangChain.js chat models with Loci memory — agents,
 * tasks, sequential and hierarchical processes, per-agent private namespaces, a shared namespace
 * with provenance, a coordinator log, and real isolation through scoped server keys.
 *
 * @module
 */
export { Agent, type AgentConfig, type ResolvedPersona } from "./agent.js";
export { approxTokens, buildTaskContext, type ContextOptions } from "./context-builder.js";
export {
  Crew,
  type CrewConfig,
  type CrewOutput,
  type CrewServerConfig,
  type KickoffOptions,
  type MemoryScope,
} from "./crew.js";
export {
  CrewError,
  type CrewErrorCode,
  DelegationLimitError,
  MaxIterationsError,
  MissingInputError,
  OutputRejectedError,
  OutputValidationError,
} from "./errors.js";
export { type CrewCallbacks, type CrewEventMap, type CrewEventName, CrewEvents } from "./events.js";
export { type CrewInputs, interpolate } from "./interpolate.js";
export type { AgentMemoryView, TaskStatus } from "./memory-wiring.js";
export { type CrewNamespaces, crewNamespaces, slugify } from "./namespaces.js";
export { Process, type ProcessKind } from "./process.js";
export { DEFAULT_MAX_DELEGATIONS } from "./process-hierarchical.js";
export { ScriptedChatModel, type ScriptedChatModelOptions, type ScriptStep } from "./scripted-chat-model.js";
export { agentScopes, type ConnectFn, type KeyScope, type ServerClient } from "./server-isolation.js";
export { Task, type TaskConfig, type TaskOutput } from "./task.js";
export { createMemoryTools } from "./tools.js";
export type { TokenUsage } from "./usage.js";
export type { WatchHandle, WatchOptions } from "./watch.js";
