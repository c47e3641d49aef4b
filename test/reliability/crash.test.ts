/**
 * Crash test: `loci serve` in a child process, several concurrent clients writing memories,
 * batches, sessions and edges, and SIGKILL at a random moment of every round. After each restart
 * every acknowledged write must be present, readable and findable, nothing unacknowledged
 * half-visible, nothing duplicated (retries carry an Idempotency-Key), and the event log gap-free.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCrashRounds } from "./harness/crash-rounds.js";
import { report } from "./harness/stats.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("crash safety of the server", () => {
  it("loses no acknowledged write across 20 SIGKILL rounds", { timeout: 240_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "loci-reliability-crash-"));
    dirs.push(dataDir);
    const { stats, problems } = await runCrashRounds({
      dataDir,
      rounds: Number(process.env.LOCI_CRASH_ROUNDS ?? 20),
      clients: 4,
      writeMs: [150, 450],
    });
    console.log(stats.table("crash test (SIGKILL of loci serve)"));
    report("crash", stats);
    expect(problems).toEqual([]);
    expect(stats.rounds).toBe(Number(process.env.LOCI_CRASH_ROUNDS ?? 20));
    expect(stats.lost).toBe(0);
    expect(stats.duplicates).toBe(0);
    expect(stats.acknowledged).toBeGreaterThan(stats.rounds * 10);
  });
});
