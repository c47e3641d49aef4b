/**
 * A deterministic chat model for tests: answers from a script (strings, `AIMessage`s with
 * `tool_calls`, or functions of the prompt) and records every prompt it received.
 *
 * @module
 */
import {
  BaseChatModel,
  type BaseChatModelParams,
  type BindToolsInput,
} from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";

/** One scripted answer. */
export type ScriptStep =
  | string
  | AIMessage
  | ((messages: readonly BaseMessage[], call: number) => string | AIMessage);

/** Options of {@link ScriptedChatModel}. */
export interface ScriptedChatModelOptions extends BaseChatModelParams {
  /** Answers in order; when exhausted, `loop` repeats the last step, otherwise the call fails. */
  script: readonly ScriptStep[];
  /** @default false */
  loop?: boolean;
  /** `usage_metadata` added to every answer that has none. */
  usage?: { input_tokens: number; output_tokens: number };
}

/** A scripted, recording chat model (tool calling supported: `bindTools` records the tool names). */
export class ScriptedChatModel extends BaseChatModel {
  /** Every prompt received, in order. */
  readonly prompts: BaseMessage[][] = [];
  /** Tool names bound at each `bindTools` call. */
  readonly boundTools: string[][] = [];
  readonly #opts: ScriptedChatModelOptions;

  constructor(opts: ScriptedChatModelOptions) {
    super(opts);
    this.#opts = opts;
  }

  _llmType(): string {
    return "scripted";
  }

  /** The text of prompt `i` (all messages joined). */
  promptText(i: number): string {
    return (this.prompts[i] ?? []).map((m) => m.text).join("\n\n");
  }

  /** The text of every prompt, joined. */
  allPromptText(): string {
    return this.prompts.map((_, i) => this.promptText(i)).join("\n\n=====\n\n");
  }

  override bindTools(tools: BindToolsInput[]): this {
    this.boundTools.push(tools.map((t) => String((t as { name?: unknown }).name ?? "?")));
    return this;
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const call = this.prompts.length;
    this.prompts.push([...messages]);
    const { script, loop } = this.#opts;
    const step = script[call] ?? (loop ? script[script.length - 1] : undefined);
    if (step === undefined) throw new Error(`ScriptedChatModel: script exhausted at call ${call}`);
    const out = typeof step === "function" ? step(messages, call) : step;
    const base = typeof out === "string" ? new AIMessage(out) : out;
    const message = new AIMessage({
      content: base.content,
      tool_calls: base.tool_calls ?? [],
      ...(base.usage_metadata
        ? { usage_metadata: base.usage_metadata }
        : this.#opts.usage
          ? {
              usage_metadata: {
                ...this.#opts.usage,
                total_tokens: this.#opts.usage.input_tokens + this.#opts.usage.output_tokens,
              },
            }
          : {}),
    });
    return { generations: [{ text: message.text, message }] };
  }
}
