/**
 * {@link LociRetriever}: Loci's own hybrid (and graph-aware) recall as a LangChain retriever.
 *
 * @module
 */
import type { CallbackManagerForRetrieverRun } from "@langchain/core/callbacks/manager";
import { Document } from "@langchain/core/documents";
import { BaseRetriever, type BaseRetrieverInput } from "@langchain/core/retrievers";
import type { Filter, GraphSearchOptions, MemoryClient, ScoreBreakdown, SearchMode } from "@loci/engine";

/** Options of {@link LociRetriever}. */
export interface LociRetrieverOptions extends BaseRetrieverInput {
  /** Any Loci client: the in-process `Loci` engine or the HTTP `LociClient`. */
  client: MemoryClient;
  /** The namespaces to search; results are merged by score. */
  namespaces: string[];
  /** @default 4 */
  limit?: number;
  /** Blend of recency into the score, in [0, 1]. @default 0 */
  recencyWeight?: number;
  /** A Loci metadata filter, applied before the top-k cut. */
  metadataFilter?: Filter;
  /** Graph-aware recall (`{ depth?, weight? }`). */
  graph?: GraphSearchOptions;
  /** @default "hybrid" */
  mode?: SearchMode;
  /** Only memories of this session. */
  sessionId?: string;
  /** Drop hits scoring below this. @default 0 */
  minScore?: number;
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
 * recency blending, metadata filter) over one or several namespaces. Each `Document` has the memory
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
  private readonly opts: Omit<LociRetrieverOptions, keyof BaseRetrieverInput | "client" | "namespaces">;

  static override lc_name(): string {
    return "LociRetriever";
  }

  constructor(options: LociRetrieverOptions) {
    const {
      client,
      namespaces,
      limit,
      recencyWeight,
      metadataFilter,
      graph,
      mode,
      sessionId,
      minScore,
      ...base
    } = options;
    super(base);
    if (namespaces.length === 0) throw new Error("LociRetriever needs at least one namespace");
    this.client = client;
    this.namespaces = namespaces;
    this.opts = { limit, recencyWeight, metadataFilter, graph, mode, sessionId, minScore };
  }

  /** Runs the Loci search. */
  override async _getRelevantDocuments(
    query: string,
    _runManager?: CallbackManagerForRetrieverRun,
  ): Promise<Document<LociRetrieverMetadata>[]> {
    const o = this.opts;
    const hits = await this.client.memory.search({
      namespaces: this.namespaces,
      query,
      limit: o.limit ?? 4,
      ...(o.recencyWeight !== undefined ? { recencyWeight: o.recencyWeight } : {}),
      ...(o.metadataFilter ? { metadataFilter: o.metadataFilter } : {}),
      ...(o.graph ? { graph: o.graph } : {}),
      ...(o.mode ? { mode: o.mode } : {}),
      ...(o.sessionId ? { sessionId: o.sessionId } : {}),
      ...(o.minScore !== undefined ? { minScore: o.minScore } : {}),
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
