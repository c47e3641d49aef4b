/**
 * Counters the reliability tests share, and the summary table they print.
 *
 * @module
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LociClient } from "@loci/client";
import { LociError } from "@loci/engine";

/** What a run counted. */
export class RunStats {
  rounds = 0;
  /** Logical writes sent (one per add, batch, session or edge call). */
  attempted = 0;
  acknowledged = 0;
  /** Acknowledged writes missing afterwards: must stay 0. */
  lost = 0;
  /** Records stored twice: must stay 0. */
  duplicates = 0;
  /** Writes that failed at the client but were found committed (whole) afterwards. */
  committedUnacked = 0;
  /** Writes answered with `Idempotent-Replayed: true` (committed before a crash, acknowledged by the retry). */
  replayed = 0;
  /** Requests sent again by the client's retry loop. */
  retries = 0;
  /** Server restarts after which indexes were rebuilt or reloaded from the database. */
  rebuilds = 0;
  readonly errors = new Map<string, number>();

  /** Counts an error by class (the LociError code, else the error's name). */
  error(err: unknown): void {
    const cls = LociError.isInstance(err) ? err.code : err instanceof Error ? err.name : String(err);
    this.errors.set(cls, (this.errors.get(cls) ?? 0) + 1);
  }

  /** Adds another run's counts to this one. */
  add(other: RunStats): void {
    for (const k of [
      "rounds",
      "attempted",
      "acknowledged",
      "lost",
      "duplicates",
      "committedUnacked",
      "replayed",
      "retries",
      "rebuilds",
    ] as const) {
      this[k] += other[k];
    }
    for (const [k, v] of other.errors) this.errors.set(k, (this.errors.get(k) ?? 0) + v);
  }

  /** The summary table (one row per counter, errors by class last). */
  table(title: string): string {
    const rows: [string, string | number][] = [
      ["rounds", this.rounds],
      ["writes attempted", this.attempted],
      ["writes acknowledged", this.acknowledged],
      ["writes lost (must be 0)", this.lost],
      ["duplicates (must be 0)", this.duplicates],
      ["committed, reply lost, found whole", this.committedUnacked],
      ["replayed by Idempotency-Key", this.replayed],
      ["requests retried by the client", this.retries],
      ["index rebuilds / reloads", this.rebuilds],
    ];
    const errors = [...this.errors].sort(([a], [b]) => (a < b ? -1 : 1));
    rows.push([
      "errors by class",
      errors.length === 0 ? "none" : errors.map(([k, v]) => `${k}=${v}`).join(", "),
    ]);
    const w = Math.max(...rows.map(([k]) => k.length));
    return [`${title}`, ...rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`)].join("\n");
  }
}

/**
 * A LociClient whose fetch counts retries (a second request with the same `Idempotency-Key`) and
 * replayed acknowledgements into `stats`.
 */
export function countingClient(
  url: () => string,
  stats: RunStats,
  opts: {
    apiKey: string;
    retries?: number;
    retryDelayMs?: number;
    timeoutMs?: number;
    retryMaxDelayMs?: number;
  },
): LociClient {
  const seen = new Set<string>();
  const counting: typeof fetch = async (input, init) => {
    const key = new Headers(init?.headers).get("idempotency-key");
    if (key !== null) {
      if (seen.has(key)) stats.retries++;
      seen.add(key);
    }
    // The server may have moved (restarted): rewrite the origin to the current one.
    const target = new URL(String(input));
    const base = new URL(url());
    target.host = base.host;
    const res = await fetch(target, init);
    if (res.headers.get("idempotent-replayed") === "true") stats.replayed++;
    return res;
  };
  return new LociClient({
    baseUrl: url(),
    apiKey: opts.apiKey,
    fetch: counting,
    retries: opts.retries ?? 40,
    retryDelayMs: opts.retryDelayMs ?? 25,
    retryMaxDelayMs: opts.retryMaxDelayMs ?? 200,
    timeoutMs: opts.timeoutMs ?? 10_000,
  });
}

/**
 * Writes the counts of one suite to `$LOCI_RELIABILITY_REPORT/<name>.json` when that variable is
 * set (the `pnpm reliability` runner sums them into one table).
 */
export function report(name: string, stats: RunStats): void {
  const dir = process.env.LOCI_RELIABILITY_REPORT;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `${name}.json`),
    JSON.stringify({ ...stats, errors: Object.fromEntries(stats.errors) }),
  );
}

/** Reads a report written by {@link report}. */
export function readReport(file: string): RunStats {
  const raw = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown> & {
    errors: Record<string, number>;
  };
  const stats = new RunStats();
  const { errors, ...counts } = raw;
  Object.assign(stats, counts);
  for (const [k, v] of Object.entries(errors)) stats.errors.set(k, v);
  return stats;
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
