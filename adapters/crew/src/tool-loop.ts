/**
 * A simple tool-calling loop: invoke the model; while its answer has `tool_calls`, run them, append
 * `ToolMessage`s and invoke again, at most `maxIterations` times.
 *
 * @module
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { type AIMessage, type BaseMessage, ToolMessage } from "@langchain/core/messages";
import type { StructuredToolInterface } from "@langchain/core/tools";
import { CrewError, MaxIterationsError } from "./errors.js";
import { addUsage, type TokenUsage } from "./usage.js";

/** Options of {@link runToolLoop}. */
export interface ToolLoopOptions {
  llm: BaseChatModel;
  /** The conversation so far; the loop appends the model's answers and tool results to it. */
  messages: BaseMessage[];
  tools: readonly StructuredToolInterface[];
  maxIterations: number;
  usage: TokenUsage;
  /** Who runs the loop (for errors). */
  actor: string;
}

/** What the loop produced. */
export interface ToolLoopResult {
  /** The final answer (a message without tool calls). */
  message: AIMessage;
  /** Text the model wrote next to its tool calls (working notes). */
  thoughts: string[];
}

/** Invokes the model (with tools bound when it supports `bindTools`). */
async function invoke(opts: ToolLoopOptions): Promise<AIMessage> {
  const runnable =
    opts.tools.length > 0 && opts.llm.bindTools ? opts.llm.bindTools([...opts.tools]) : opts.llm;
  // chat models answer with an AIMessage or AIMessageChunk; both carry the fields used here
  const message = (await runnable.invoke(opts.messages)) as AIMessage;
  addUsage(opts.usage, message);
  return message;
}

/**
 * Runs the loop. A tool that throws a {@link CrewError} (e.g. a delegation bound) ends the loop with
 * that error; any other tool error is returned to the model as an error `ToolMessage`.
 *
 * @throws {MaxIterationsError} when the model still calls tools after `maxIterations` rounds
 */
export async function runToolLoop(opts: ToolLoopOptions): Promise<ToolLoopResult> {
  const thoughts: string[] = [];
  const byName = new Map(opts.tools.map((t) => [t.name, t]));
  for (let i = 0; i <= opts.maxIterations; i++) {
    const message = await invoke(opts);
    opts.messages.push(message);
    const calls = message.tool_calls ?? [];
    if (calls.length === 0) return { message, thoughts };
    if (i === opts.maxIterations) break;
    if (message.text.trim()) thoughts.push(message.text.trim());
    for (const call of calls) {
      const id = call.id ?? `${call.name}-${i}`;
      const t = byName.get(call.name);
      let content: string;
      let status: "success" | "error" = "success";
      if (!t) {
        content = `Error: unknown tool "${call.name}"; available: ${[...byName.keys()].join(", ")}`;
        status = "error";
      } else {
        try {
          const out: unknown = await t.invoke(call.args);
          content = typeof out === "string" ? out : JSON.stringify(out);
        } catch (err) {
          if (err instanceof CrewError) throw err;
          content = `Error: ${(err as Error).message}`;
          status = "error";
        }
      }
      opts.messages.push(new ToolMessage({ content, tool_call_id: id, name: call.name, status }));
    }
  }
  throw new MaxIterationsError(opts.actor, opts.maxIterations);
}
