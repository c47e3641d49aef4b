/**
 * Typed errors of `@loci/crew`. Every error is a {@link CrewError} with a stable `code`.
 *
 * @module
 */

/** Stable codes of {@link CrewError}. */
export type CrewErrorCode =
  | "INVALID_CONFIG"
  | "MISSING_INPUT"
  | "OUTPUT_VALIDATION"
  | "MAX_ITERATIONS"
  | "DELEGATION_LIMIT"
  | "OUTPUT_REJECTED";

/** Base class of every error thrown by the crew runtime. */
export class CrewError extends Error {
  readonly code: CrewErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: CrewErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = "CrewError";
    this.code = code;
    this.details = details;
  }
}

/** A `{placeholder}` in an agent or task string has no value in `kickoff({ inputs })`. */
export class MissingInputError extends CrewError {
  constructor(placeholder: string, where: string) {
    super(
      "MISSING_INPUT",
      `unknown placeholder {${placeholder}} in ${where}: pass it in kickoff({ inputs })`,
      {
        placeholder,
        where,
      },
    );
    this.name = "MissingInputError";
  }
}

/** The model's answer did not validate against the task's `outputSchema`, even after one retry. */
export class OutputValidationError extends CrewError {
  constructor(task: string, issues: string, raw: string) {
    super("OUTPUT_VALIDATION", `output of task "${task}" does not match its outputSchema: ${issues}`, {
      task,
      issues,
      raw,
    });
    this.name = "OutputValidationError";
  }
}

/** An agent kept calling tools past its iteration bound. */
export class MaxIterationsError extends CrewError {
  constructor(agent: string, maxIterations: number) {
    super("MAX_ITERATIONS", `agent "${agent}" exceeded ${maxIterations} tool-calling iterations`, {
      agent,
      maxIterations,
    });
    this.name = "MaxIterationsError";
  }
}

/** The hierarchical manager delegated more than `maxDelegations` times for one task. */
export class DelegationLimitError extends CrewError {
  constructor(task: string, maxDelegations: number, attempts: readonly string[]) {
    super(
      "DELEGATION_LIMIT",
      `manager exceeded ${maxDelegations} delegations on task "${task}" (attempts: ${attempts.join(", ")})`,
      { task, maxDelegations, attempts: [...attempts] },
    );
    this.name = "DelegationLimitError";
  }
}

/** The manager judged the final output not to meet the task's expected output, even after a revision. */
export class OutputRejectedError extends CrewError {
  constructor(task: string, raw: string) {
    super("OUTPUT_REJECTED", `manager rejected the output of task "${task}" against its expected output`, {
      task,
      raw,
    });
    this.name = "OutputRejectedError";
  }
}
