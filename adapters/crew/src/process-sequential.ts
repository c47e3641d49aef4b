/**
 * The sequential process: tasks run in list order by their assigned agents; each finalized output is
 * published to the shared namespace with provenance.
 *
 * @module
 */
import { executeAgentWork } from "./agent-executor.js";
import { CrewError } from "./errors.js";
import { type ProcessContext, tracked, upstreamOf } from "./process.js";
import type { Task, TaskOutput } from "./task.js";

/** Runs every task in order and returns their outputs. */
export async function runSequential(ctx: ProcessContext): Promise<TaskOutput[]> {
  const done = new Map<Task, TaskOutput>();
  let previous: TaskOutput | undefined;
  for (const task of ctx.tasks) {
    const name = ctx.taskName(task);
    const agent = task.agent;
    if (!agent) throw new CrewError("INVALID_CONFIG", `task "${name}" has no agent (sequential process)`);
    const { description, expectedOutput } = task.resolve(ctx.inputs, name);
    const persona = ctx.personas.get(agent)!;
    const output = await tracked(ctx, name, agent.role, async () => {
      const r = await executeAgentWork({
        agent,
        persona,
        run: ctx.run,
        taskName: name,
        description,
        expectedOutput,
        upstream: upstreamOf(task, done, previous),
        outputSchema: task.outputSchema,
        contextTokens: ctx.contextTokens,
        usage: ctx.usage,
      });
      await ctx.run.publish(r.view, name, r.raw, { expected_output: expectedOutput });
      const out: TaskOutput = { name, description, expectedOutput, agent: agent.role, raw: r.raw };
      if (r.json !== undefined) out.json = r.json;
      return out;
    });
    done.set(task, output);
    previous = output;
  }
  return [...done.values()];
}
