/**
 * The soak: `loci serve` in a child process under mixed load (adds, batches, searches, updates and
 * deletes over shared and private namespaces) for a set time, sampling throughput and the server's
 * resident memory. Each agent keeps a bounded window of live memories (it deletes its oldest), so the
 * data size levels off and resident memory should too: steady growth is a leak. At the end every
 * acknowledged write that was not deleted must be there, and every deleted one gone.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import type { LociClient } from "@loci/client";
import { ROOT_KEY, ServerProcess } from "../../harness/server-process.js";
import { countingClient, RunStats, sleep } from "./stats.js";
import { allMemories } from "./verify.js";

/** One sample of the soak. */
export interface SoakSample {
  seconds: number;
  writesPerSecond: number;
  searchesPerSecond: number;
  rssMiB: number;
}

/** Options of {@link runSoak}. */
export interface SoakOptions {
  dataDir: string;
  minutes: number;
  /** @default 8 */
  agents?: number;
  /** Live memories each agent keeps. @default 150 */
  window?: number;
  /** @default 10000 */
  sampleMs?: number;
  onSample?: (s: SoakSample) => void;
}

/** The server's resident set size in MiB (from /proc). */
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** Runs the soak; returns counts, samples and every problem found. */
export async function runSoak(
  opts: SoakOptions,
): Promise<{ stats: RunStats; samples: SoakSample[]; problems: string[] }> {
  const stats = new RunStats();
  const server = await ServerProcess.start({ dataDir: opts.dataDir });
  const client = countingClient(() => server.url, stats, { apiKey: ROOT_KEY });
  const agents = opts.agents ?? 8;
  const window = opts.window ?? 150;
  const until = Date.now() + opts.minutes * 60_000;
  const live = new Map<string, Map<string, string>>(); // namespace -> id -> content
  const deleted = new Map<string, Set<string>>();
  let searches = 0;
  const samples: SoakSample[] = [];
  const problems: string[] = [];

  const remember = (ns: string, id: string, content: string) => {
    const m = live.get(ns) ?? new Map<string, string>();
    live.set(ns, m);
    m.set(id, content);
  };
  const agent = async (a: number, c: LociClient) => {
    const mine: { ns: string; id: string }[] = [];
    for (let i = 0; Date.now() < until; i++) {
      const ns = i % 3 === 0 ? "soak-shared" : `soak-agent-${a}`;
      try {
        if (i % 5 === 4) {
          await c.memory.search({ namespace: ns, query: `agent ${a} note ${i - 1}`, limit: 10 });
          searches++;
          continue;
        }
        stats.attempted++;
        if (i % 10 === 3) {
          const batch = await c.memory.addMany({
            namespace: ns,
            memories: [0, 1, 2].map((k) => ({ content: `soak agent ${a} note ${i} part ${k}` })),
          });
          for (const m of batch) {
            remember(ns, m.id, m.content);
            mine.push({ ns, id: m.id });
          }
        } else if (i % 10 === 7 && mine.length > 0) {
          const target = mine[mine.length - 1]!;
          const content = `soak agent ${a} note ${i} updated`;
          await c.memory.update({ namespace: target.ns, id: target.id, content });
          remember(target.ns, target.id, content);
        } else {
          const m = await c.memory.add({
            namespace: ns,
            content: `soak agent ${a} note ${i}`,
            metadata: { a, i },
          });
          remember(ns, m.id, m.content);
          mine.push({ ns, id: m.id });
        }
        stats.acknowledged++;
        while (mine.length > window) {
          const old = mine.shift()!;
          await c.memory.delete({ namespace: old.ns, id: old.id });
          live.get(old.ns)?.delete(old.id);
          const set = deleted.get(old.ns) ?? new Set<string>();
          deleted.set(old.ns, set);
          set.add(old.id);
        }
      } catch (err) {
        stats.error(err);
      }
    }
  };

  const sampler = (async () => {
    const started = Date.now();
    let [writes, reads, at] = [0, 0, started];
    while (Date.now() < until) {
      await sleep(Math.min(opts.sampleMs ?? 10_000, Math.max(0, until - Date.now())));
      const now = Date.now();
      const dt = (now - at) / 1000;
      if (dt < 1) break; // the run ended right after the last sample
      const s: SoakSample = {
        seconds: Math.round((now - started) / 1000),
        writesPerSecond: Math.round((stats.acknowledged - writes) / dt),
        searchesPerSecond: Math.round((searches - reads) / dt),
        rssMiB: Math.round(rssMiB(server.pid!)),
      };
      samples.push(s);
      opts.onSample?.(s);
      [writes, reads, at] = [stats.acknowledged, searches, now];
    }
  })();

  try {
    await Promise.all([...Array.from({ length: agents }, (_, a) => agent(a, client)), sampler]);
    // A crash-free restart at the end: everything acknowledged is read back from the database.
    await server.kill();
    await server.restart();
    stats.rebuilds++;
    for (const [ns, expected] of live) {
      const stored = new Map((await allMemories(client, ns)).map((m) => [m.id, m.content]));
      if (stored.size !== expected.size)
        problems.push(`${ns}: ${stored.size} memories, expected ${expected.size}`);
      for (const [id, content] of expected) {
        if (stored.get(id) !== content) {
          stats.lost++;
          problems.push(`${ns}: ${id} is ${stored.has(id) ? "stale" : "missing"}`);
        }
      }
      for (const id of deleted.get(ns) ?? [])
        if (stored.has(id)) problems.push(`${ns}: deleted ${id} is back`);
    }
  } finally {
    await server.stop();
  }
  return { stats, samples, problems };
}
