/**
 * `Task`: a unit of work with an expected output, an assigned agent, upstream context and an optional
 * zod output schema.
 *
 * @module
 */
import type { ZodType } from "zod";
import type { Agent } from "./agent.js";
import { type CrewInputs, interpolate } from "./interpolate.js";
import { slugify } from "./namespaces.js";

/** Options of {@link Task}. */
export interface TaskConfig {
  /** What to do; may contain `{placeholders}`. */
  description: string;
  /** What a good answer looks like; may contain `{placeholders}`. */
  expectedOutput: string;
  /** The agent that performs the task (required in the sequential process). */
  agent?: Agent;
  /** Upstream tasks whose outputs are injected; default: the previous task's output. */
  context?: readonly Task[];
  /** When set, the answer must be JSON that this schema accepts (one retry, then `OutputValidationError`). */
  outputSchema?: ZodType;
  /** A stable name (used in provenance metadata); default: a slug of the description. */
  name?: string;
}

/** The result of one task. */
export interface TaskOutput {
  name: string;
  description: string;
  expectedOutput: string;
  /** Role of the agent that produced it (`"manager"` for a hierarchical task's final answer). */
  agent: string;
  /** The final answer text. */
  raw: string;
  /** The parsed and validated JSON when the task has an `outputSchema`. */
  json?: unknown;
}

/** A task of a crew. */
export class Task {
  readonly description: string;
  readonly expectedOutput: string;
  readonly agent: Agent | undefined;
  readonly context: readonly Task[] | undefined;
  readonly outputSchema: ZodType | undefined;
  readonly name: string;

  constructor(config: TaskConfig) {
    this.description = config.description;
    this.expectedOutput = config.expectedOutput;
    this.agent = config.agent;
    this.context = config.context;
    this.outputSchema = config.outputSchema;
    this.name = config.name ?? (slugify(config.description).slice(0, 48).replace(/-+$/, "") || "task");
  }

  /** Description and expected output with `inputs` filled in. */
  resolve(inputs: CrewInputs): { description: string; expectedOutput: string } {
    return {
      description: interpolate(this.description, inputs, `task "${this.name}" description`),
      expectedOutput: interpolate(this.expectedOutput, inputs, `task "${this.name}" expectedOutput`),
    };
  }
}
