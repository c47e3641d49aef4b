/**
 * {@link LociMemoryBlock}: a long-term memory block for LlamaIndex's `createMemory`, backed by Loci.
 *
 * @module
 */
import { BaseMemoryBlock, type MemoryMessage } from "@llamaindex/core/memory";
import { extractText } from "@llamaindex/core/utils";
import type { Filter, MemoryClient, SearchMode, SearchOptions } from "@loci/engine";
import { hasCode, toMetadata } from "./internal.js";

/**
 * The ranking options of the recall a {@link LociMemoryBlock} runs, passed on to `memory.search` as
 * given: `recencyWeight`, `graph`, `sessionId`, `minScore`, `fusion`, `vectorWeight`, `neighbors`,
 * `time`, `lengthPrior` (the engine README explains each).
 */
export type LociMemoryBlockSearch = Omit<
  SearchOptions,
  "namespace" | "namespaces" | "query" | "queryEmbedding" | "limit" | "mode" | "metadataFilter"
>;

/** Options of {@link LociMemoryBlock}. */
export interface LociMemoryBlockOptions {
  /** Any `MemoryClient`: the in-process engine (`Loci.open`) or the HTTP client (`LociClient`). */
  client: MemoryClient;
  /** The Loci namespace of the long-term facts (e.g. an agent's or a team's namespace). */
  namespace: string;
  /** The block id (also the id of the memory message it returns). @default "loci" */
  id?: string;
  /** Higher-priority blocks are included first; 0 means always included. @default 1 */
  priority?: number;
  /** Facts recalled per `get`. @default 5 */
  topK?: number;
  /** Loci search mode for recall. @default "hybrid" */
  mode?: SearchMode;
  /** Recall only memories matching this Loci metadata filter. */
  filter?: Filter;
  /** More of Loci's ranking options for the recall (e.g. `{ lengthPrior: {} }` for chat turns). */
  search?: LociMemoryBlockSearch;
  /** Stored with every message written by `put` (Loci `agentId`). */
  agentId?: string;
  /** Which roles `put` stores. @default ["user", "assistant"] */
  roles?: readonly string[];
  /** Formats the recalled facts into the memory message. @default a bulleted list under a header */
  format?: (facts: string[]) => string;
}

const defaultFormat = (facts: string[]): string =>
  `Relevant long-term memory:\n${facts.map((f) => `- ${f}`).join("\n")}`;

/**
 * A LlamaIndex `BaseMemoryBlock` that keeps long-term memory in a Loci namespace.
 *
 * - `put(messages)` stores each user/assistant message as a Loci memory (content = its text,
 *   metadata `{ source: "llamaindex-memory", block_id, role }`), embedded by the Loci engine.
 * - `get(messages)` recalls the `topK` memories most relevant to the latest user message (hybrid
 *   search by default) and returns them as one `memory` message, or nothing.
 *
 * Because the namespace outlives the chat, facts stored in one conversation are recalled in the next.
 *
 * @example
 * ```ts
 * const memory = createMemory({
 *   tokenLimit: 4000,
 *   memoryBlocks: [new LociMemoryBlock({ client: loci, namespace: "assistant-facts" })],
 * });
 * ```
 */
export class LociMemoryBlock<
  TAdditionalMessageOptions extends object = object,
> extends BaseMemoryBlock<TAdditionalMessageOptions> {
  /** The Loci namespace of the facts. */
  readonly namespace: string;
  readonly #client: MemoryClient;
  readonly #topK: number;
  readonly #mode: SearchMode;
  readonly #filter: Filter | undefined;
  readonly #search: LociMemoryBlockSearch;
  readonly #agentId: string | undefined;
  readonly #roles: ReadonlySet<string>;
  readonly #format: (facts: string[]) => string;

  constructor(options: LociMemoryBlockOptions) {
    super({ id: options.id ?? "loci", priority: options.priority ?? 1, isLongTerm: true });
    this.#client = options.client;
    this.namespace = options.namespace;
    this.#topK = options.topK ?? 5;
    this.#mode = options.mode ?? "hybrid";
    this.#filter = options.filter;
    this.#search = { ...options.search };
    this.#agentId = options.agentId;
    this.#roles = new Set(options.roles ?? ["user", "assistant"]);
    this.#format = options.format ?? defaultFormat;
  }

  /** The underlying `MemoryClient`. */
  client(): MemoryClient {
    return this.#client;
  }

  /** Recalls facts relevant to the latest user message (or the latest message). */
  async get(
    messages: MemoryMessage<TAdditionalMessageOptions>[] = [],
  ): Promise<MemoryMessage<TAdditionalMessageOptions>[]> {
    const latest = [...messages].reverse().find((m) => m.role === "user") ?? messages.at(-1);
    const query = latest ? extractText(latest.content).trim() : "";
    if (query === "") return [];
    let hits: Awaited<ReturnType<MemoryClient["memory"]["search"]>>;
    try {
      hits = await this.#client.memory.search({
        ...this.#search,
        namespace: this.namespace,
        query: query.slice(0, 10_000),
        mode: this.#mode,
        limit: this.#topK,
        ...(this.#filter ? { metadataFilter: this.#filter } : {}),
      });
    } catch (err) {
      if (hasCode(err, "NAMESPACE_NOT_FOUND")) return [];
      throw err;
    }
    if (hits.length === 0) return [];
    return [{ id: this.id, role: "memory", content: this.#format(hits.map((h) => h.memory.content)) }];
  }

  /** Stores the messages (of the configured roles, with text) in the namespace. */
  async put(messages: MemoryMessage<TAdditionalMessageOptions>[]): Promise<void> {
    const memories = messages
      .filter((m) => this.#roles.has(m.role))
      .map((m) => ({ m, text: extractText(m.content).trim() }))
      .filter(({ text }) => text !== "")
      .map(({ m, text }) => ({
        content: text,
        metadata: toMetadata({
          source: "llamaindex-memory",
          block_id: this.id,
          role: m.role,
          message_id: m.id,
        }),
        ...(m.createdAt ? { createdAt: m.createdAt } : {}),
        ...(this.#agentId ? { agentId: this.#agentId } : {}),
      }));
    for (let i = 0; i < memories.length; i += 1000) {
      await this.#client.memory.addMany({ namespace: this.namespace, memories: memories.slice(i, i + 1000) });
    }
  }
}
