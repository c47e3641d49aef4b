/**
 * `Agent`: a role with a goal and a backstory, backed by any LangChain chat model.
 *
 * @module
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { StructuredToolInterface } from "@langchain/core/tools";
import type { MemoryClient } from "@loci/engine";
import { type CrewInputs, interpolate } from "./interpolate.js";
import { type WatchHandle, type WatchOptions, watchMemories } from "./watch.js";

/** Options of {@link Agent}. */
export interface AgentConfig {
  /** May contain `{placeholders}`; its slug (before interpolation) names the private namespace. */
  role: string;
  goal: string;
  backstory: string;
  /** Any LangChain chat model; tool calling is used when it implements `bindTools`. */
  llm: BaseChatModel;
  /** Extra tools, next to the memory tools (`remember`, `recall`, `add_relation`). */
  tools?: readonly StructuredToolInterface[];
  /** May the hierarchical manager delegate to this agent? @default true */
  allowDelegation?: boolean;
  /**
   * The agent's own memory client (e.g. a `LociClient` with a key scoped to its namespaces). Default:
   * the crew's client.
   */
  memory?: MemoryClient;
  /** Bound of the tool-calling loop. @default 5 */
  maxIter?: number;
}

/** The role, goal and backstory of an agent with inputs filled in. */
export interface ResolvedPersona {
  role: string;
  goal: string;
  backstory: string;
}

/** A crew member. */
export class Agent {
  readonly role: string;
  readonly goal: string;
  readonly backstory: string;
  readonly llm: BaseChatModel;
  readonly tools: readonly StructuredToolInterface[];
  readonly allowDelegation: boolean;
  readonly memory: MemoryClient | undefined;
  readonly maxIter: number;

  constructor(config: AgentConfig) {
    this.role = config.role;
    this.goal = config.goal;
    this.backstory = config.backstory;
    this.llm = config.llm;
    this.tools = config.tools ?? [];
    this.allowDelegation = config.allowDelegation ?? true;
    this.memory = config.memory;
    this.maxIter = config.maxIter ?? 5;
  }

  /** Role, goal and backstory with `inputs` filled in. */
  resolve(inputs: CrewInputs): ResolvedPersona {
    return {
      role: interpolate(this.role, inputs, `agent "${this.role}" role`),
      goal: interpolate(this.goal, inputs, `agent "${this.role}" goal`),
      backstory: interpolate(this.backstory, inputs, `agent "${this.role}" backstory`),
    };
  }

  /** The system prompt built from the persona. */
  static systemPrompt(p: ResolvedPersona): string {
    return [
      `You are ${p.role}.`,
      p.backstory,
      `Your personal goal is: ${p.goal}`,
      "Think step by step if needed, then give your answer after a line starting with 'Final Answer:'.",
      "Text before 'Final Answer:' stays in your private notes; only the final answer is shared with the team.",
    ].join("\n");
  }

  /**
   * Reacts to new memories of a namespace (for example high-severity findings): calls `onEvent` for
   * every added memory that passes `filter`. Stop with the returned handle.
   */
  watch(opts: WatchOptions): Promise<WatchHandle> {
    return watchMemories(this, opts);
  }
}
