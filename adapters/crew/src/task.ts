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
  /**
   * A stable name (used in provenance metadata and coordinator records), unique within a crew.
   * Default: a slug of the description; a crew suffixes repeated defaults (`-2`, `-3`, …).
   */
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
  /** The explicit `name`, or the default slug (a crew may run it under a suffixed name: `crew.taskName(task)`). */
  readonly name: string;
  /** Whether `name` was given explicitly (kept as is by a crew) rather than derived from the description. */
  readonly hasExplicitName: boolean;

  constructor(config: TaskConfig) {
    this.description = config.description;
    this.expectedOutput = config.expectedOutput;
    this.agent = config.agent;
    this.context = config.context;
    this.outputSchema = config.outputSchema;
    this.hasExplicitName = config.name !== undefined;
    this.name = config.name ?? (slugify(config.description).slice(0, 48).replace(/-+$/, "") || "task");
  }

  /** Description and expected output with `inputs` filled in (`name` labels errors; default `this.name`). */
  resolve(inputs: CrewInputs, name = this.name): { description: string; expectedOutput: string } {
    return {
      description: interpolate(this.description, inputs, `task "${name}" description`),
      expectedOutput: interpolate(this.expectedOutput, inputs, `task "${name}" expectedOutput`),
    };
  }
}
