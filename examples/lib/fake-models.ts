/**
 * Deterministic stand-ins for LLMs, so the examples run offline and their tests can assert on the
 * output. Each one derives its reply from what it was given (the conversation, the retrieved
 * context), so the examples visibly use the memory they recall.
 *
 * To use a real model instead, pass any LangChain chat model (e.g. `new ChatOpenAI({ model })` from
 * `@langchain/openai`) where a {@link RuleChatModel} is used, or any LlamaIndex LLM (e.g. `new OpenAI()`
 * from `@llamaindex/openai`) where an {@link ExtractiveLLM} is used.
 *
 * @module
 */
import {
  BaseChatModel,
  type BaseChatModelParams,
  type BindToolsInput,
} from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import {
  BaseLLM,
  type ChatResponse,
  type ChatResponseChunk,
  extractText,
  type LLMChatParamsNonStreaming,
  type LLMChatParamsStreaming,
  type LLMMetadata,
} from "llamaindex";

/** What a {@link RuleChatModel} policy answers: plain text, or text plus tool calls. */
export type RuleReply =
  | string
  | { content?: string; toolCalls?: { name: string; args: Record<string, unknown> }[] };

/** A policy: the next reply as a function of the whole conversation so far. */
export type ChatPolicy = (messages: readonly BaseMessage[]) => RuleReply;

/**
 * A LangChain chat model whose answers come from a deterministic policy function. It supports tool
 * calling (`bindTools` records the tool names) and records every prompt it received.
 */
export class RuleChatModel extends BaseChatModel {
  /** Every prompt received, as the text of its messages joined by blank lines. */
  readonly prompts: string[] = [];
  /** Tool names bound by the caller (last `bindTools` call). */
  boundTools: string[] = [];
  readonly #policy: ChatPolicy;
  #calls = 0;

  constructor(policy: ChatPolicy, params: BaseChatModelParams = {}) {
    super(params);
    this.#policy = policy;
  }

  _llmType(): string {
    return "rule-based";
  }

  override bindTools(tools: BindToolsInput[]): this {
    this.boundTools = tools.map((t) => String((t as { name?: unknown }).name ?? "?"));
    return this;
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    this.prompts.push(messages.map((m) => m.text).join("\n\n"));
    const reply = this.#policy(messages);
    const { content = "", toolCalls = [] } = typeof reply === "string" ? { content: reply } : reply;
    const message = new AIMessage({
      content,
      tool_calls: toolCalls.map((c) => ({ ...c, id: `call_${++this.#calls}`, type: "tool_call" as const })),
    });
    return { generations: [{ text: content, message }] };
  }
}

/** The text of the last human message of a conversation ("" when there is none). */
export function lastUserText(messages: readonly BaseMessage[]): string {
  return [...messages].reverse().find((m) => HumanMessage.isInstance(m))?.text ?? "";
}

/** The results of the tool calls made since the last human message, by tool name. */
export function toolResultsSinceUser(messages: readonly BaseMessage[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = messages.length - 1; i >= 0 && !HumanMessage.isInstance(messages[i]); i--) {
    const m = messages[i]!;
    if (ToolMessage.isInstance(m) && m.name) out.set(m.name, m.text);
  }
  return out;
}

/** Content words of a text, crudely stemmed (no plural "s", first 5 letters): "Pages" ~ "page". */
const words = (text: string): Set<string> =>
  new Set(
    (text.toLowerCase().match(/[a-z0-9]{3,}/g) ?? [])
      .filter((w) => !STOPWORDS.has(w))
      .map((w) => w.replace(/s$/, "").slice(0, 5)),
  );
const STOPWORDS = new Set(["the", "and", "for", "are", "what", "how", "who", "with", "does", "can", "our"]);

/**
 * A LlamaIndex LLM that answers "extractively": it reads the retrieved context out of the prompt
 * LlamaIndex built, and replies with the context sentence sharing the most words with the question.
 * It never answers from anywhere but the prompt, so a wrong retrieval gives a visibly wrong answer.
 */
export class ExtractiveLLM extends BaseLLM {
  metadata: LLMMetadata = {
    model: "extractive-stub",
    temperature: 0,
    topP: 1,
    contextWindow: 8192,
    tokenizer: undefined,
    structuredOutput: false,
  };
  /** Every prompt received. */
  readonly prompts: string[] = [];

  chat(params: LLMChatParamsStreaming): Promise<AsyncIterable<ChatResponseChunk>>;
  chat(params: LLMChatParamsNonStreaming): Promise<ChatResponse>;
  async chat(
    params: LLMChatParamsStreaming | LLMChatParamsNonStreaming,
  ): Promise<AsyncIterable<ChatResponseChunk> | ChatResponse> {
    const prompt = params.messages.map((m) => extractText(m.content)).join("\n");
    this.prompts.push(prompt);
    const answer = ExtractiveLLM.answer(prompt);
    if (params.stream) {
      return (async function* () {
        yield { delta: answer, raw: null };
      })();
    }
    return { message: { role: "assistant", content: answer }, raw: null };
  }

  /** The best-matching context sentence for the prompt's query (LlamaIndex's QA prompt layout). */
  static answer(prompt: string): string {
    const query = /Query:\s*([\s\S]*?)\s*Answer:\s*$/.exec(prompt)?.[1] ?? prompt;
    const context = /-{5,}\n([\s\S]*?)\n-{5,}/.exec(prompt)?.[1] ?? "";
    const asked = words(query);
    let best = { sentence: "", overlap: 0 };
    for (const sentence of context.split(/(?<=[.!?])\s+|\n+/)) {
      const overlap = [...words(sentence)].filter((w) => asked.has(w)).length;
      if (overlap > best.overlap) best = { sentence: sentence.trim(), overlap };
    }
    return best.overlap > 0 ? best.sentence : "I don't know: the retrieved context does not say.";
  }
}
