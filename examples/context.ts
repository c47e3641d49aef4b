/**
 * What every example receives from its runner: a data directory of its own and a line printer.
 * `pnpm example <name>` passes a fresh temporary directory and `console.log`; the tests pass a temp
 * directory and collect the lines.
 *
 * @module
 */

/** The runtime of one example run. */
export interface ExampleContext {
  /** An empty directory the example may use for its data (deleted after the run). */
  dataDir: string;
  /** Prints one line of the example's narration. */
  log: (line: string) => void;
}

/** A runnable example: a description for listings, and `run`, which returns what the tests assert on. */
export interface Example<R = unknown> {
  /** One line: what the example shows. */
  description: string;
  run(ctx: ExampleContext): Promise<R>;
}
