/**
 * The hierarchical process: for each task a manager (built from `managerLlm`) delegates work to
 * coworkers through the `delegate_work` tool, with a bounded number of delegations and an
 * `allowedAgents` list, then answers; the manager LLM judges the answer against the expected output.
 *
 * @module
 */
import { type BaseMessage, HumanMessage, SystemMessage } from "@langchain/core/messages";
import { type StructuredToolInterface, tool } from "@langchain/core/tools";
import { z } from "zod";
import type { Agent } from "./agent.js";
import { executeAgentWork } from "./agent-executor.js";
import { CrewError, DelegationLimitError, OutputRejectedError, OutputValidationError } from "./errors.js";
import { describeSchema, parseStructured, splitFinalAnswer } from "./output.js";
import { type ProcessContext, tracked, upstreamOf } from "./process.js";
import type { Task, TaskOutput } from "./task.js";
import { runToolLoop } from "./tool-loop.js";
import { addUsage } from "./usage.js";

/** Default bound of delegations per task. */
export const DEFAULT_MAX_DELEGATIONS = 5;

function coworkers(ctx: ProcessContext): Agent[] {
  const allowed = ctx.allowedAgents?.map((r) => r.toLowerCase());
  return ctx.agents.filter(
    (a) => a.allowDelegation && (allowed === undefined || allowed.includes(a.role.toLowerCase())),
  );
}

function managerPrompt(ctx: ProcessContext, team: readonly Agent[]): string {
  const list = team.map((a) => `- ${a.role}: ${ctx.personas.get(a)!.goal}`).join("\n");
  return [
    "You are the crew manager. You do not do the work yourself: you plan, delegate and check.",
    `Delegate work with the delegate_work tool to one of these coworkers (exact role):\n${list}`,
    "When you have what you need, reply after a line 'Final Answer:' with the complete task output.",
  ].join("\n");
}

/** Asks the manager LLM whether `output` meets `expectedOutput`; returns the verdict and its reason. */
async function judge(ctx: ProcessContext, expectedOutput: string, output: string) {
  const llm = ctx.managerLlm!;
  const ai = await llm.invoke([
    new SystemMessage("You check task outputs. Reply 'yes' or 'no', then one sentence of reason."),
    new HumanMessage(`Expected output: ${expectedOutput}\n\nOutput:\n${output}\n\nDoes the output meet it?`),
  ]);
  addUsage(ctx.usage, ai);
  return { ok: /^\W*yes\b/i.test(ai.text), reason: ai.text.trim() };
}

async function runManagedTask(
  ctx: ProcessContext,
  task: Task,
  upstream: { task: string; raw: string }[],
): Promise<TaskOutput> {
  const name = ctx.taskName(task);
  const { description, expectedOutput } = task.resolve(ctx.inputs, name);
  const team = coworkers(ctx);
  const attempts: string[] = [];
  const contributors = new Set<string>();

  const delegate = tool(
    async ({ agent_role, task: work }) => {
      attempts.push(agent_role);
      if (attempts.length > ctx.maxDelegations) {
        throw new DelegationLimitError(name, ctx.maxDelegations, attempts);
      }
      const agent = team.find((a) => a.role.toLowerCase() === agent_role.trim().toLowerCase());
      ctx.events.emit("delegation", {
        task: name,
        toAgent: agent_role,
        work,
        attempt: attempts.length,
        accepted: agent !== undefined,
      });
      if (!agent) {
        return `Error: "${agent_role}" is not a coworker you may delegate to; choose one of: ${team
          .map((a) => a.role)
          .join(", ")}`;
      }
      const sub = `${name}#${attempts.length}`;
      const out = await tracked(
        ctx,
        sub,
        agent.role,
        async () => {
          const r = await executeAgentWork({
            agent,
            persona: ctx.personas.get(agent)!,
            run: ctx.run,
            taskName: sub,
            description: work,
            expectedOutput: "A complete answer to the delegated work",
            upstream,
            contextTokens: ctx.contextTokens,
            usage: ctx.usage,
          });
          return { name: sub, description: work, expectedOutput: "", agent: agent.role, raw: r.raw };
        },
        { delegated_by: "manager" },
      );
      contributors.add(agent.role);
      return out.raw;
    },
    {
      name: "delegate_work",
      description: "Delegate a piece of work to a coworker and get their answer back.",
      schema: z.object({
        agent_role: z.string().describe("The exact role of the coworker"),
        task: z.string().min(1).describe("Everything the coworker needs to know to do the work"),
      }),
    },
  );

  const upstreamText = upstream.length
    ? `\n\n# Context from previous tasks\n${upstream.map((u) => `### ${u.task}\n${u.raw}`).join("\n\n")}`
    : "";
  const schemaText = task.outputSchema
    ? `\n\nAnswer with only a JSON value matching this JSON schema: ${describeSchema(task.outputSchema)}`
    : "";
  const messages: BaseMessage[] = [
    new SystemMessage(managerPrompt(ctx, team)),
    new HumanMessage(
      `Current task: ${description}\n\nExpected output: ${expectedOutput}${schemaText}${upstreamText}`,
    ),
  ];
  // One revision in total: for an answer that does not validate against the schema, or that the judge rejects.
  for (let revisions = 0; ; revisions++) {
    const { message } = await runToolLoopBounded(ctx, messages, [delegate]);
    const { answer } = splitFinalAnswer(message.text);
    const out: TaskOutput = { name, description, expectedOutput, agent: "manager", raw: answer };
    if (task.outputSchema) {
      const parsed = parseStructured(answer, task.outputSchema);
      if (!parsed.ok) {
        if (revisions >= 1) throw new OutputValidationError(name, parsed.error, answer);
        messages.push(
          new HumanMessage(
            `Your answer did not validate: ${parsed.error}\nReply again with only valid JSON for the schema.`,
          ),
        );
        continue;
      }
      out.json = parsed.value;
    }
    const verdict = await judge(ctx, expectedOutput, answer);
    if (verdict.ok) {
      await ctx.run.publish(ctx.run.managerView(), name, answer, {
        expected_output: expectedOutput,
        contributors: [...contributors],
      });
      return out;
    }
    if (revisions >= 1) throw new OutputRejectedError(name, answer);
    messages.push(
      new HumanMessage(
        `Your answer was judged not to meet the expected output (${verdict.reason}). Revise it.`,
      ),
    );
  }
}

function runToolLoopBounded(ctx: ProcessContext, messages: BaseMessage[], tools: StructuredToolInterface[]) {
  return runToolLoop({
    llm: ctx.managerLlm!,
    messages,
    tools,
    // every round with tool calls delegates at least once, so the delegation bound fires first
    maxIterations: ctx.maxDelegations + 1,
    usage: ctx.usage,
    actor: "manager",
  });
}

/** Runs every task under the manager and returns their outputs. */
export async function runHierarchical(ctx: ProcessContext): Promise<TaskOutput[]> {
  if (!ctx.managerLlm) throw new CrewError("INVALID_CONFIG", "the hierarchical process needs managerLlm");
  const done = new Map<Task, TaskOutput>();
  let previous: TaskOutput | undefined;
  for (const task of ctx.tasks) {
    const upstream = upstreamOf(task, done, previous);
    const output = await tracked(ctx, ctx.taskName(task), "manager", () =>
      runManagedTask(ctx, task, upstream),
    );
    done.set(task, output);
    previous = output;
  }
  return [...done.values()];
}
