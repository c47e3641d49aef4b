/**
 * Simulated agents for the concurrency test and the soak: each agent writes to its private
 * namespace and to a shared one, and searches both, through its own `LociClient`. Every
 * acknowledged write is logged in the order the agent issued it (each agent awaits its writes).
 *
 * @module
 */
import type { LociClient } from "@loci/client";
import type { RunStats } from "./stats.js";

/** An acknowledged write of an agent. */
export interface AgentWrite {
  agent: number;
  namespace: string;
  id: string;
  content: string;
}

/** Options of {@link runAgents}. */
export interface AgentsOptions {
  /** One client per agent (or one shared by all). */
  client: (agent: number) => LociClient;
  agents: number;
  /** Operations per agent (every fourth is a search, the rest writes). Ignored once `until` passes. */
  opsPerAgent: number;
  shared: string;
  stats: RunStats;
  /** Stop starting operations at this time (ms since epoch), for soak runs. */
  until?: number;
  /** Unique prefix of this run's contents. */
  tag?: string;
}

/** What {@link runAgents} observed. */
export interface AgentsResult {
  writes: AgentWrite[];
  searches: number;
  /** Searches that did not find the agent's own latest write in its private namespace. */
  missedOwnWrite: number;
}

/** The private namespace of an agent. */
export const privateNs = (agent: number) => `agent-${agent}`;

/** Runs every agent concurrently to completion. */
export async function runAgents(opts: AgentsOptions): Promise<AgentsResult> {
  const writes: AgentWrite[] = [];
  let searches = 0;
  let missedOwnWrite = 0;
  const tag = opts.tag ?? "c";
  const agent = async (a: number) => {
    const client = opts.client(a);
    let lastOwn: string | null = null;
    for (let i = 0; i < opts.opsPerAgent; i++) {
      if (opts.until !== undefined && Date.now() >= opts.until) break;
      const shared = i % 2 === 1;
      const namespace = shared ? opts.shared : privateNs(a);
      try {
        if (i % 4 === 3) {
          searches++;
          const hits = await client.memory.search({
            namespace: privateNs(a),
            query: lastOwn ?? "agent",
            limit: 5,
          });
          if (lastOwn !== null && !hits.some((h) => h.memory.content === lastOwn)) missedOwnWrite++;
          await client.memory.search({ namespace: opts.shared, query: `agent ${a} note`, limit: 5 });
          continue;
        }
        const content = `${tag} agent ${a} note ${i} token${tag}a${a}n${i} ${shared ? "shared" : "private"}`;
        opts.stats.attempted++;
        const m = await client.memory.add({
          namespace,
          content,
          agentId: `agent-${a}`,
          metadata: { agent: a, i },
        });
        opts.stats.acknowledged++;
        writes.push({ agent: a, namespace, id: m.id, content });
        if (!shared) lastOwn = content;
      } catch (err) {
        opts.stats.error(err);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.agents }, (_, a) => agent(a)));
  return { writes, searches, missedOwnWrite };
}
