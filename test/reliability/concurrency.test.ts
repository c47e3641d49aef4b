/**
 * Concurrency: 50 simulated agents × 200 operations (writes and searches) at once over HTTP, each in
 * its private namespace and one shared namespace. No write may be lost or stored twice, every count
 * must be exact, ids unique, and each namespace's event log must hold every agent's writes in the
 * order the agent made them (gap-free).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer, type TestServer } from "@loci/server/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentWrite, privateNs, runAgents } from "./harness/agents.js";
import { RunStats, report } from "./harness/stats.js";
import { allMemories, readEvents } from "./harness/verify.js";

const AGENTS = 50;
// CI runs 100 operations per agent; `pnpm reliability` runs the full 200 (LOCI_CONCURRENCY_OPS).
const OPS = Number(process.env.LOCI_CONCURRENCY_OPS ?? 100);
const SHARED = "team-shared";

let t: TestServer;
beforeAll(async () => {
  // The data directory may live in memory (/dev/shm): this test is about interleaving, not fsync.
  const base = process.env.LOCI_RELIABILITY_TMP ?? tmpdir();
  t = await startTestServer({ dataDir: mkdtempSync(join(base, "loci-reliability-conc-")) });
});
afterAll(() => t?.stop());

describe("concurrency", () => {
  it(`${AGENTS} agents × ${OPS} writes and searches lose nothing and keep per-namespace order`, {
    timeout: 300_000,
  }, async () => {
    const stats = new RunStats();
    const started = performance.now();
    const { writes, searches, missedOwnWrite } = await runAgents({
      client: () => t.root,
      agents: AGENTS,
      opsPerAgent: OPS,
      shared: SHARED,
      stats,
    });
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `${stats.table(`concurrency: ${AGENTS} agents × ${OPS} operations`)}\n  searches  ${searches}\n  seconds  ${seconds.toFixed(1)} (${Math.round((writes.length + searches * 2) / seconds)} requests/s)`,
    );
    report("concurrency", stats);
    expect([...stats.errors]).toEqual([]);
    expect(missedOwnWrite).toBe(0);
    const perAgentWrites = OPS - Math.floor(OPS / 4);
    expect(writes).toHaveLength(AGENTS * perAgentWrites);
    expect(new Set(writes.map((w) => w.id)).size).toBe(writes.length);

    const byNs = new Map<string, AgentWrite[]>();
    for (const w of writes) byNs.set(w.namespace, [...(byNs.get(w.namespace) ?? []), w]);
    for (const [ns, acked] of byNs) {
      const stored = await allMemories(t.root, ns);
      // Counts exact, no loss, no duplicates, contents intact.
      expect(stored.length, ns).toBe(acked.length);
      const storedById = new Map(stored.map((m) => [m.id, m]));
      for (const w of acked) expect(storedById.get(w.id)?.content, `${ns} ${w.id}`).toBe(w.content);
      // Per-namespace order: the event log and the insertion order hold each agent's writes in the
      // order the agent made them.
      const events = await readEvents({
        url: t.url,
        apiKey: t.rootKey,
        namespace: ns,
        lastEventId: 0,
        done: (evs) => evs.length >= acked.length,
        quietMs: 50,
      });
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      const added = events.filter((e) => e.type === "memory.added").map((e) => e.id);
      expect(added).toEqual(stored.map((m) => m.id));
      for (let a = 0; a < AGENTS; a++) {
        const mine = acked.filter((w) => w.agent === a).map((w) => w.id);
        const seen = new Set(mine);
        expect(
          added.filter((id) => seen.has(id)),
          `${ns} agent ${a}`,
        ).toEqual(mine);
      }
    }
    expect(byNs.get(SHARED)).toHaveLength(AGENTS * Math.ceil(OPS / 4));
    expect(byNs.get(privateNs(0))).toHaveLength(perAgentWrites - Math.ceil(OPS / 4));
    const list = await t.root.namespace.list({ limit: 1000 });
    expect(list.items).toHaveLength(AGENTS + 1);
  });
});
