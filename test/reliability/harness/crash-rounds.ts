/**
 * The crash loop shared by the test and the `--long` runner: write for a random time, SIGKILL the
 * server, restart it on the same port (clients ride through with retries), stop the writers, verify.
 *
 * @module
 */
import { ROOT_KEY, ServerProcess } from "../../harness/server-process.js";
import { countingClient, RunStats, sleep } from "./stats.js";
import { Verifier } from "./verify.js";
import { Writers } from "./workload.js";

/** Options of {@link runCrashRounds}. */
export interface CrashRoundsOptions {
  dataDir: string;
  /** `loci serve --storage` (a `postgres://` URL). @default SQLite */
  storage?: string;
  rounds: number;
  /** Concurrent writing clients. */
  clients: number;
  /** Each round writes for a random time in this range (ms) before the kill. */
  writeMs: [number, number];
  namespaces?: readonly string[];
  /** Called after each verified round. */
  onRound?: (round: number, stats: RunStats) => void;
}

/** Runs the rounds; returns the counts and every problem found (none on success). */
export async function runCrashRounds(
  opts: CrashRoundsOptions,
): Promise<{ stats: RunStats; problems: string[] }> {
  const stats = new RunStats();
  const namespaces = opts.namespaces ?? ["crash-a", "crash-b", "crash-shared"];
  const server = await ServerProcess.start({
    dataDir: opts.dataDir,
    ...(opts.storage ? { storage: opts.storage } : {}),
  });
  const url = () => server.url;
  const clients = Array.from({ length: opts.clients }, () =>
    countingClient(url, stats, { apiKey: ROOT_KEY }),
  );
  const checker = countingClient(url, new RunStats(), { apiKey: ROOT_KEY });
  const writers = new Writers({ clients, namespaces, stats });
  const verifier = new Verifier(namespaces, stats);
  const problems: string[] = [];
  try {
    for (let round = 1; round <= opts.rounds; round++) {
      const t0 = Date.now();
      writers.start(round);
      const [lo, hi] = opts.writeMs;
      await sleep(lo + Math.random() * (hi - lo));
      const t1 = Date.now();
      await server.kill();
      await server.restart();
      const t2 = Date.now();
      stats.rebuilds++; // the server's indexes (or its cache of a shared database) are rebuilt on open
      await writers.stop();
      const t3 = Date.now();
      stats.rounds++;
      const found = await verifier.check(checker, server.url, writers.ops, round);
      if (process.env.LOCI_RELIABILITY_DEBUG)
        console.log(
          round,
          "write",
          t1 - t0,
          "restart",
          t2 - t1,
          "drain",
          t3 - t2,
          "verify",
          Date.now() - t3,
          writers.ops.length,
        );
      problems.push(...found.map((p) => `round ${round}: ${p}`));
      opts.onRound?.(round, stats);
      if (problems.length > 0) break;
    }
  } finally {
    await server.stop();
  }
  return { stats, problems };
}
