/**
 * {@link LociMemory}: a classic LangChain `BaseMemory` that recalls relevant past exchanges from Loci.
 *
 * @module
 */
import { Document } from "@langchain/core/documents";
import {
  BaseMemory,
  getInputValue,
  getOutputValue,
  type InputValues,
  type MemoryVariables,
  type OutputValues,
} from "@langchain/core/memory";
import type { Filter, MemoryClient, Metadata, SearchOptions } from "@loci/engine";

/** Options of {@link LociMemory}. */
export interface LociMemoryOptions {
  /** Any Loci client: the in-process `Loci` engine or the HTTP `LociClient`. */
  client: MemoryClient;
  /** The Loci namespace. */
  namespace: string;
  /** Store and recall within this Loci session (it must exist). */
  sessionId?: string;
  /** The variable name returned by `loadMemoryVariables`. @default "history" */
  memoryKey?: string;
  /** The input key holding the user's text (default: the only input key). */
  inputKey?: string;
  /** The output key holding the model's text (default: the only output key). */
  outputKey?: string;
  /** How many memories to recall. @default 4 */
  k?: number;
  /** Return `Document[]` instead of one string. @default false */
  returnDocs?: boolean;
  /** Metadata added to every saved exchange. */
  metadata?: Metadata;
  /** A Loci metadata filter for recall. */
  filter?: Filter;
  /**
   * More of Loci's ranking options for recall, passed on to `memory.search` as given (`mode`,
   * `recencyWeight`, `graph`, `minScore`, `fusion`, `vectorWeight`, `neighbors`, `time`, `lengthPrior`).
   */
  search?: Omit<
    SearchOptions,
    "namespace" | "namespaces" | "query" | "queryEmbedding" | "limit" | "sessionId" | "metadataFilter"
  >;
}

/**
 * Retrieval memory for classic chains: `saveContext` stores each exchange as one Loci memory
 * (`"Human: …\nAI: …"`), `loadMemoryVariables` runs Loci's hybrid search with the current input and
 * returns the best `k` exchanges under `memoryKey` (newline-joined, or as Documents).
 *
 * @example
 * ```ts
 * const memory = new LociMemory({ client: loci, namespace: "assistant", k: 3 });
 * await memory.saveContext({ input: "My name is Ada" }, { output: "Hi Ada" });
 * const { history } = await memory.loadMemoryVariables({ input: "what is my name?" });
 * ```
 */
export class LociMemory extends BaseMemory {
  /** The Loci client. */
  readonly client: MemoryClient;
  /** The Loci namespace. */
  readonly namespace: string;
  /** The returned variable name. */
  readonly memoryKey: string;
  private readonly o: LociMemoryOptions;

  constructor(options: LociMemoryOptions) {
    super();
    this.client = options.client;
    this.namespace = options.namespace;
    this.memoryKey = options.memoryKey ?? "history";
    this.o = options;
  }

  /** `[memoryKey]`. */
  get memoryKeys(): string[] {
    return [this.memoryKey];
  }

  /** Recalls the exchanges most relevant to the current input. */
  async loadMemoryVariables(values: InputValues): Promise<MemoryVariables> {
    const query = String(getInputValue(values, this.o.inputKey) ?? "");
    if (query.trim() === "") return { [this.memoryKey]: this.o.returnDocs ? [] : "" };
    const hits = await this.client.memory.search({
      ...this.o.search,
      namespace: this.namespace,
      query,
      limit: this.o.k ?? 4,
      ...(this.o.sessionId ? { sessionId: this.o.sessionId } : {}),
      ...(this.o.filter ? { metadataFilter: this.o.filter } : {}),
    });
    if (this.o.returnDocs)
      return {
        [this.memoryKey]: hits.map(
          (h) =>
            new Document({
              pageContent: h.memory.content,
              metadata: { ...h.memory.metadata, score: h.score },
              id: h.memory.id,
            }),
        ),
      };
    return { [this.memoryKey]: hits.map((h) => h.memory.content).join("\n") };
  }

  /** Stores one exchange. */
  async saveContext(inputValues: InputValues, outputValues: OutputValues): Promise<void> {
    const input = String(getInputValue(inputValues, this.o.inputKey) ?? "");
    const output = String(getOutputValue(outputValues, this.o.outputKey) ?? "");
    await this.client.memory.add({
      namespace: this.namespace,
      content: `Human: ${input}\nAI: ${output}`,
      metadata: { ...(this.o.metadata ?? {}), lc_input: input, lc_output: output },
      ...(this.o.sessionId ? { sessionId: this.o.sessionId } : {}),
    });
  }
}
