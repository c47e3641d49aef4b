/**
 * Token usage accounting from `AIMessage.usage_metadata`.
 *
 * @module
 */
import type { AIMessage } from "@langchain/core/messages";

/** Tokens used by a kickoff (sums over every model call that reported `usage_metadata`). */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Model calls made. */
  successfulRequests: number;
}

/** A zeroed {@link TokenUsage}. */
export function emptyUsage(): TokenUsage {
  return { inputTokens: 0, outputTokens: 0, totalTokens: 0, successfulRequests: 0 };
}

/** Adds one model answer to `usage` (in place). */
export function addUsage(usage: TokenUsage, message: AIMessage): void {
  usage.successfulRequests += 1;
  const u = message.usage_metadata;
  if (!u) return;
  usage.inputTokens += u.input_tokens ?? 0;
  usage.outputTokens += u.output_tokens ?? 0;
  usage.totalTokens += u.total_tokens ?? (u.input_tokens ?? 0) + (u.output_tokens ?? 0);
}
