/**
 * {@link LociRetriever}: Loci's own hybrid (and graph-aware) recall as a LangChain retriever.
 *
 * @module
 */
import type { CallbackManagerForRetrieverRun } from "@langchain/core/callbacks/manager";
import { Document } from "@langchain/core/documents";
import { BaseRetriever, type BaseRetrieverInput } from "@langchain/core/retrievers";
import type { MemoryClient, ScoreBreakdown, SearchOptions } from "@loci/engine";

/** The Loci search options a {@link LociRetriever} passes on (each as `memory.search` documents it). */
const RETRIEVER_SEARCH_OPTIONS = [
  "limit",
  "recencyWeight",
  "metadataFilter",
  "graph",
  "mode",
  "sessionId",
  "minScore",
  "fusion",
  "vectorWeight",
  "neighbors",
  "time",
  "lengthPrior",
] as const satisfies readonly (keyof SearchOptions)[];

/**
 * The search options a retriever does not take: where to search (its `namespaces`), the query, and the
 * query's own vector (LangChain passes text). A new `SearchOptions` key must go in one list or the
 * other: `complete` below stops compiling until it does.
 */
type NotRetrieverOptions = "namespace" | "namespaces" | "query" | "queryEmbedding";
type Unlisted = Exclude<keyof SearchOptions, (typeof RETRIEVER_SEARCH_OPTIONS)[number] | NotRetrieverOptions>;
const complete: [Unlisted] extends [never] ? true : { unlisted: Unlisted } = true;
void complete;

/**
 * The search a {@link LociRetriever} runs: `limit` (default 4), `recencyWeight`, `metadataFilter`,
 * `graph`, `mode`, `sessionId`, `minScore`, and the ranking extras `fusion`, `vectorWeight`,
 * `neighbors`, `time` and `lengthPrior` (the engine README explains each).
 */
export type LociRetrieverSearch = Pick<SearchOptions, (typeof RETRIEVER_SEARCH_OPTIONS)[number]>;

/** Options of {@link LociRetriever}. */
export interface LociRetrieverOptions extends BaseRetrieverInput, LociRetrieverSearch {
  /** Any Loci client: the in-process `Loci` engine or the HTTP `LociClient`. */
  client: MemoryClient;
  /** The namespaces to search; results are merged by score. */
  namespaces: string[];
}

/** The metadata {@link LociRetriever} adds to each document (besides the memory's own). */
export interface LociRetrieverMetadata extends Record<string, unknown> {
  score: number;
  scores: ScoreBreakdown;
  namespace: string;
  memoryId: string;
}

/**
 * A retriever running Loci's search (hybrid vector + BM25 by default, optional graph-aware recall,
 * recency blending, metadata filter, and every ranking extra of `memory.search`) over one or several
 * namespaces. Each `Document` has the memory
 * content, the memory metadata plus `score`, `scores` (the breakdown), `namespace` and `memoryId`
 * (these four win over same-named memory metadata keys), and `id` = memory id.
 *
 * @example
 * ```ts
 * const retriever = new LociRetriever({ client: loci, namespaces: ["researcher", "team-shared"], limit: 5 });
 * const docs = await retriever.invoke("what plan is Acme looking at?");
 * ```
 */
export class LociRetriever extends BaseRetriever<LociRetrieverMetadata> {
  lc_namespace = ["loci", "retrievers"];
  /** The Loci client. */
  readonly client: MemoryClient;
  /** The searched namespaces. */
  readonly namespaces: string[];
  /** The search options given (`limit` defaults to 4). */
  readonly search: Readonly<LociRetrieverSearch>;

  static override lc_name(): string {
    return "LociRetriever";
  }

  constructor(options: LociRetrieverOptions) {
    const { client, namespaces, ...rest } = options;
    const search: Record<string, unknown> = {};
    const base: Record<string, unknown> = {};
    const keys: readonly string[] = RETRIEVER_SEARCH_OPTIONS;
    for (const [key, value] of Object.entries(rest))
      if (!keys.includes(key)) base[key] = value;
      else if (value !== undefined) search[key] = value;
    super(base as BaseRetrieverInput);
    if (namespaces.length === 0) throw new Error("LociRetriever needs at least one namespace");
    this.client = client;
    this.namespaces = namespaces;
    this.search = search as LociRetrieverSearch;
  }

  /** Runs the Loci search. */
  override async _getRelevantDocuments(
    query: string,
    _runManager?: CallbackManagerForRetrieverRun,
  ): Promise<Document<LociRetrieverMetadata>[]> {
    const hits = await this.client.memory.search({
      limit: 4,
      ...this.search,
      namespaces: this.namespaces,
      query,
    });
    return hits.map(
      (h) =>
        new Document<LociRetrieverMetadata>({
          pageContent: h.memory.content,
          id: h.memory.id,
          metadata: {
            ...h.memory.metadata,
            score: h.score,
            scores: { ...h.scores },
            namespace: h.namespace,
            memoryId: h.memory.id,
          },
        }),
    );
  }
}
