/**
 * `pnpm reliability [--long] [--minutes N] [--rounds N] [--soak-only]`: the reliability suite at
 * full size (20 crash rounds, 100 with `--long`; 50 agents × 200 operations; damaged state; full
 * and read-only disks), then with `--long` a soak of mixed load for N minutes (default 10) reporting
 * throughput and resident memory over time (`--soak-only` skips the suite). Ends with one summary
 * table; exits non-zero if anything was lost or any check failed.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runSoak, type SoakSample } from "./harness/soak.js";
import { RunStats, readReport } from "./harness/stats.js";

const { values } = parseArgs({
  options: {
    long: { type: "boolean", default: false },
    minutes: { type: "string" },
    rounds: { type: "string" },
    "soak-only": { type: "boolean", default: false },
  },
});
const minutes = Number(values.minutes ?? 10);
const rounds = Number(values.rounds ?? (values.long ? 100 : 20));
const reportDir = mkdtempSync(join(tmpdir(), "loci-reliability-report-"));
const repo = join(import.meta.dirname, "..", "..");

const suite = !values["soak-only"];
if (suite)
  console.log(
    `reliability suite: ${rounds} crash rounds (SQLite and PostgreSQL), 50 agents × 200 operations`,
  );
const vitest = suite
  ? spawnSync("pnpm", ["exec", "vitest", "run", "test/reliability"], {
      cwd: repo,
      stdio: "inherit",
      env: {
        ...process.env,
        LOCI_RELIABILITY_REPORT: reportDir,
        LOCI_CRASH_ROUNDS: String(rounds),
        LOCI_CRASH_PG_ROUNDS: String(rounds),
        LOCI_CONCURRENCY_OPS: "200",
      },
    })
  : { status: 0 };

const suites = new Map<string, RunStats>();
for (const f of readdirSync(reportDir)) suites.set(f.replace(/\.json$/, ""), readReport(join(reportDir, f)));
rmSync(reportDir, { recursive: true, force: true });

let soakProblems: string[] = [];
if (values.long || values["soak-only"]) {
  const dataDir = mkdtempSync(join(tmpdir(), "loci-reliability-soak-"));
  console.log(`\nsoak: ${minutes} min of mixed load against loci serve`);
  console.log("  seconds  writes/s  searches/s  server RSS MiB");
  const print = (s: SoakSample) =>
    console.log(
      `  ${String(s.seconds).padStart(7)}  ${String(s.writesPerSecond).padStart(8)}  ${String(s.searchesPerSecond).padStart(10)}  ${String(s.rssMiB).padStart(14)}`,
    );
  const soak = await runSoak({
    dataDir,
    minutes,
    sampleMs: Math.max(5_000, (minutes * 60_000) / 30),
    onSample: print,
  });
  rmSync(dataDir, { recursive: true, force: true });
  suites.set("soak", soak.stats);
  soakProblems = soak.problems;
  const rss = soak.samples.map((s) => s.rssMiB);
  if (rss.length >= 6) {
    const third = Math.floor(rss.length / 3);
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const early = avg(rss.slice(third, 2 * third));
    const late = avg(rss.slice(2 * third));
    console.log(
      `  RSS: middle third ${early.toFixed(0)} MiB, last third ${late.toFixed(0)} MiB (${(((late - early) / early) * 100).toFixed(1)}% growth)`,
    );
  }
  for (const p of soakProblems) console.log(`  PROBLEM: ${p}`);
}

const total = new RunStats();
for (const s of suites.values()) total.add(s);
console.log("");
for (const [name, s] of suites) console.log(`${s.table(name)}\n`);
console.log(total.table(`all suites (${[...suites.keys()].join(", ")})`));
const ok = vitest.status === 0 && total.lost === 0 && total.duplicates === 0 && soakProblems.length === 0;
console.log(`\nreliability: ${ok ? "PASSED" : "FAILED"}`);
process.exit(ok ? 0 : 1);
