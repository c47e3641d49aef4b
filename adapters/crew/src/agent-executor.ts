/**
 * Runs one agent on one piece of work: builds the prompt (persona, task, upstream context, recalled
 * memory), runs the tool loop with the memory tools, validates structured output, and stores the
 * agent's working notes in its private namespace.
 *
 * @module
 */
import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import type { ZodType } from "zod";
import { Agent, type ResolvedPersona } from "./agent.js";
import { buildTaskContext } from "./context-builder.js";
import { OutputValidationError } from "./errors.js";
import type { AgentMemoryView, RunMemory } from "./memory-wiring.js";
import { describeSchema, parseStructured, splitFinalAnswer } from "./output.js";
import { runToolLoop } from "./tool-loop.js";
import { createMemoryTools } from "./tools.js";
import type { TokenUsage } from "./usage.js";

/** Options of {@link executeAgentWork}. */
export interface AgentWork {
  agent: Agent;
  persona: ResolvedPersona;
  run: RunMemory;
  taskName: string;
  description: string;
  expectedOutput: string;
  /** Outputs of upstream tasks, injected verbatim. */
  upstream: readonly { task: string; raw: string }[];
  outputSchema?: ZodType | undefined;
  contextTokens: number;
  usage: TokenUsage;
}

/** The result of {@link executeAgentWork}. */
export interface AgentWorkResult {
  raw: string;
  json?: unknown;
  view: AgentMemoryView;
}

function humanPrompt(w: AgentWork, memoryContext: string): string {
  const parts = [`Current task: ${w.description}`, `Expected output: ${w.expectedOutput}`];
  if (w.outputSchema) {
    parts.push(`Answer with only a JSON value matching this JSON schema: ${describeSchema(w.outputSchema)}`);
  }
  if (w.upstream.length > 0) {
    parts.push(
      `# Context from previous tasks\n${w.upstream.map((u) => `### ${u.task}\n${u.raw}`).join("\n\n")}`,
    );
  }
  if (memoryContext) parts.push(`# Memory\n${memoryContext}`);
  return parts.join("\n\n");
}

/** Runs the agent and stores its working notes privately; publishing is the process's job. */
export async function executeAgentWork(w: AgentWork): Promise<AgentWorkResult> {
  const view = w.run.viewOf(w.agent);
  const memoryContext = await buildTaskContext(view, {
    query: w.description,
    contextTokens: w.contextTokens,
  });
  const messages = [
    new SystemMessage(Agent.systemPrompt(w.persona)),
    new HumanMessage(humanPrompt(w, memoryContext)),
  ];
  const tools = [...createMemoryTools(view, w.taskName), ...w.agent.tools];
  const loop = () =>
    runToolLoop({
      llm: w.agent.llm,
      messages,
      tools,
      maxIterations: w.agent.maxIter,
      usage: w.usage,
      actor: w.agent.role,
    });

  let result = await loop();
  const notes = [...result.thoughts];
  let { thoughts, answer } = splitFinalAnswer(result.message.text);
  let json: unknown;
  if (w.outputSchema) {
    let parsed = parseStructured(answer, w.outputSchema);
    if (!parsed.ok) {
      messages.push(
        new HumanMessage(
          `Your answer did not validate: ${parsed.error}\nReply again with only valid JSON for the schema.`,
        ),
      );
      result = await loop();
      notes.push(...result.thoughts);
      ({ thoughts, answer } = splitFinalAnswer(result.message.text));
      parsed = parseStructured(answer, w.outputSchema);
      if (!parsed.ok) throw new OutputValidationError(w.taskName, parsed.error, answer);
    }
    json = parsed.value;
  }
  if (thoughts) notes.push(thoughts);
  await w.run.note(view, w.taskName, [...notes, `Answer: ${answer}`].join("\n"));
  return json === undefined ? { raw: answer, view } : { raw: answer, json, view };
}
