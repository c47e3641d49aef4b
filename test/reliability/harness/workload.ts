/**
 * The crash test's writers: concurrent clients adding memories, batches, sessions and edges, each
 * write carrying a unique token in its content (or id) so it can be found afterwards whether or not
 * its acknowledgement arrived. Every write is logged with what it would store and whether it was
 * acknowledged.
 *
 * @module
 */
import type { LociClient } from "@loci/client";
import type { RunStats } from "./stats.js";

/** One logical write and its outcome. */
export interface WriteOp {
  kind: "memory" | "batch" | "session" | "edge";
  namespace: string;
  round: number;
  client: number;
  /** Contents of the memories it adds (batch: three), the session's token, or the edge's target name. */
  contents: string[];
  acked: boolean;
  /** Ids from the acknowledgement (memories, session). */
  ids: string[];
}

/** Options of {@link Writers}. */
export interface WritersOptions {
  clients: LociClient[];
  namespaces: readonly string[];
  stats: RunStats;
}

const WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split(" ");

/** The content of item `i` of a write: unique, and holding the round/client search token. */
export const contentOf = (round: number, client: number, n: number, i: number) =>
  `reliability rnd${round}c${client} op${n}i${i} ${WORDS[(n + i) % WORDS.length]} ${WORDS[(n * 7 + i) % WORDS.length]}`;

/** The round/client search token. */
export const tokenOf = (round: number, client: number) => `rnd${round}c${client}`;

/** The agent entity a client's edges start from. */
export const agentOf = (client: number) => ({ type: "agent", name: `writer-${client}` });

/** Concurrent writer loops, started and stopped once per round. */
export class Writers {
  readonly ops: WriteOp[] = [];
  readonly #opts: WritersOptions;
  #running: Promise<void>[] = [];
  #stop = false;
  #n = 0;

  constructor(opts: WritersOptions) {
    this.#opts = opts;
  }

  /** Starts every client's loop for `round`. */
  start(round: number): void {
    this.#stop = false;
    this.#running = this.#opts.clients.map((client, k) => this.#loop(client, k, round));
  }

  /** Asks the loops to stop and waits for their in-flight writes to settle. */
  async stop(): Promise<void> {
    this.#stop = true;
    await Promise.all(this.#running);
    this.#running = [];
  }

  async #loop(client: LociClient, k: number, round: number): Promise<void> {
    const { namespaces, stats } = this.#opts;
    while (!this.#stop) {
      const n = this.#n++;
      const namespace = namespaces[n % namespaces.length]!;
      const pick = n % 10;
      const kind: WriteOp["kind"] = pick < 5 ? "memory" : pick < 7 ? "batch" : pick < 8 ? "session" : "edge";
      const items = kind === "batch" ? 3 : 1;
      const contents = Array.from({ length: items }, (_, i) => contentOf(round, k, n, i));
      const op: WriteOp = { kind, namespace, round, client: k, contents, acked: false, ids: [] };
      this.ops.push(op);
      stats.attempted++;
      const metadata = { round, client: k, n };
      try {
        if (kind === "memory") {
          op.ids = [(await client.memory.add({ namespace, content: contents[0]!, metadata })).id];
        } else if (kind === "batch") {
          const added = await client.memory.addMany({
            namespace,
            memories: contents.map((content, i) => ({ content, metadata: { ...metadata, i } })),
          });
          op.ids = added.map((m) => m.id);
        } else if (kind === "session") {
          op.ids = [(await client.session.create({ namespace, metadata: { token: contents[0]! } })).id];
        } else {
          await client.knowledgeGraph.addEdge({
            namespace,
            source: agentOf(k),
            target: { type: "task", name: contents[0]! },
            edgeType: "relates_to",
            metadata: { round },
          });
        }
        op.acked = true;
        stats.acknowledged++;
      } catch (err) {
        stats.error(err);
      }
    }
  }
}
