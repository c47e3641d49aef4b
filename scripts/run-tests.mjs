#!/usr/bin/env node
// Runs every test (vitest, from TypeScript sources) and ends with the plain line CI reads:
// "N passed, N failed". Extra arguments go to vitest (e.g. a path filter).
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const out = join(process.cwd(), ".test-results", "vitest.json");
mkdirSync(join(process.cwd(), ".test-results"), { recursive: true });
rmSync(out, { force: true });
// The type check (packages, adapters, tests and examples) counts as one test; skipped when a filter is given.
const typecheck =
  process.argv.length > 2
    ? null
    : spawnSync("pnpm", ["exec", "tsc", "-p", "tsconfig.json"], { stdio: "inherit" }).status === 0;
if (typecheck !== null) console.log(`typecheck: ${typecheck ? "ok" : "FAILED"}`);
const run = spawnSync(
  "pnpm",
  [
    "exec",
    "vitest",
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${out}`,
    ...process.argv.slice(2),
  ],
  { stdio: "inherit", env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" } },
);
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const report = JSON.parse(readFileSync(out, "utf8"));
  passed = report.numPassedTests ?? 0;
  failed = (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0);
  skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A test file that failed to load has no tests: count it as a failure.
  for (const file of report.testResults ?? []) {
    if (file.status === "failed" && (file.assertionResults ?? []).length === 0) failed++;
  }
} catch {
  failed = Math.max(1, failed);
}
if (run.status !== 0 && failed === 0) failed = 1;
if (typecheck === true) passed++;
if (typecheck === false) failed++;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 ? 1 : 0);
