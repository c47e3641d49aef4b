/**
 * The crash test on PostgreSQL: the same SIGKILL rounds and checks as `crash.test.ts`, with
 * `loci serve --storage postgres://…` (`LOCI_TEST_PG_URL` when set, otherwise PGlite served on
 * 127.0.0.1 by the test process, so the database outlives every kill of the server).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { usePostgres } from "../pg-harness.js";
import { runCrashRounds } from "./harness/crash-rounds.js";
import { report } from "./harness/stats.js";

const db = usePostgres();
const ROUNDS = Number(process.env.LOCI_CRASH_PG_ROUNDS ?? 5);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("crash safety of the server on PostgreSQL", () => {
  it(`loses no acknowledged write across ${ROUNDS} SIGKILL rounds`, { timeout: 300_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "loci-reliability-crash-pg-"));
    dirs.push(dataDir);
    const { stats, problems } = await runCrashRounds({
      dataDir,
      storage: db.url,
      rounds: ROUNDS,
      clients: 3,
      writeMs: [150, 400],
    });
    console.log(stats.table("crash test on PostgreSQL (SIGKILL of loci serve)"));
    report("crash-postgres", stats);
    expect(problems).toEqual([]);
    expect(stats.rounds).toBe(ROUNDS);
    expect(stats.lost).toBe(0);
    expect(stats.duplicates).toBe(0);
    expect(stats.acknowledged).toBeGreaterThan(ROUNDS * 3);
  });
});
