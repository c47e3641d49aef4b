/**
 * A namespace's knowledge graph, loaded from its store on first use and kept by the runtime, which
 * applies every committed write to it ({@link LazyGraph.loaded}) or, when it cannot (shared storage:
 * another process changed the graph), drops it to be loaded again.
 *
 * @module
 */
import type { GraphData } from "../storage/driver.js";
import { KnowledgeGraph } from "./graph.js";

/** Options of {@link LazyGraph}. */
export interface LazyGraphOptions {
  /** Reads the graph's tables. */
  load: () => Promise<GraphData>;
  /** Runs the load exclusively of writes (the namespace's write lock). */
  exclusive: <T>(task: () => Promise<T>) => Promise<T>;
}

/** The graph once loaded, and its one load in flight. */
export class LazyGraph {
  readonly #opts: LazyGraphOptions;
  #graph: KnowledgeGraph | null = null;
  #loading: Promise<KnowledgeGraph> | null = null;
  #epoch = 0;

  constructor(opts: LazyGraphOptions) {
    this.#opts = opts;
  }

  /**
   * The graph, loaded on first use. The load runs exclusively of writes, so none can commit between
   * reading the tables and installing the graph. Concurrent callers share one load; a failed load is
   * tried again by the next caller.
   */
  get(): Promise<KnowledgeGraph> {
    if (this.#graph) return Promise.resolve(this.#graph);
    if (!this.#loading) {
      const loading = this.#opts.exclusive(async () => {
        if (this.#graph) return this.#graph;
        // A drop while this load runs makes it stale for later callers: it is returned to this
        // one but not installed.
        const epoch = this.#epoch;
        const graph = KnowledgeGraph.build(await this.#opts.load());
        if (epoch === this.#epoch) this.#graph = graph;
        return graph;
      });
      this.#loading = loading;
      loading.catch(() => {
        if (this.#loading === loading) this.#loading = null;
      });
    }
    return this.#loading;
  }

  /** The graph if it has been loaded, else `null`. */
  get loaded(): KnowledgeGraph | null {
    return this.#graph;
  }

  /** Forgets the graph (and any load in flight): the next {@link get} loads it again. */
  drop(): void {
    this.#graph = null;
    this.#loading = null;
    this.#epoch++;
  }
}
