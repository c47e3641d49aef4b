import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { HashEmbedder } from "../embed/hash.js";
import { LociError } from "../errors.js";
import { Loci } from "../loci.js";
import { SqliteDriver } from "../storage/sqlite.js";
import type { LociEvent } from "../types.js";
import { Mutex } from "../util/mutex.js";
import { GroupCommit } from "./group-commit.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** An engine over a fresh directory, and a counter of the insert transactions its namespace commits. */
async function engineCountingInserts(namespace: string) {
  const dataDir = mkdtempSync(join(tmpdir(), "loci-group-"));
  dirs.push(dataDir);
  let driver: SqliteDriver | null = null;
  const open = () => {
    driver = new SqliteDriver({ dir: join(dataDir, "store") });
    return Loci.open({ dataDir, embedder: new HashEmbedder({ dimensions: 64 }), storage: driver });
  };
  const loci = await open();
  await loci.namespace.create({ name: namespace });
  await loci.memory.add({ namespace, content: "first" });
  // The namespace's real store (the driver returns its open instance); the spy only counts calls.
  const store = await driver!.openNamespace(namespace);
  const inserts = vi.spyOn(store, "insert");
  return { loci, inserts, open };
}

describe("group commit of concurrent adds", () => {
  it("commits concurrent single adds in shared transactions; every add is acknowledged, durable and evented once", async () => {
    const { loci, inserts, open } = await engineCountingInserts("team");
    const events: LociEvent[] = [];
    const sub = await loci.events.subscribe({ namespace: "team" }, (e) => void events.push(e));
    const added = await Promise.all(
      Array.from({ length: 64 }, (_, i) => loci.memory.add({ namespace: "team", content: `note ${i}` })),
    );
    expect(new Set(added.map((m) => m.id)).size).toBe(64);
    expect(added.map((m) => m.content)).toEqual(Array.from({ length: 64 }, (_, i) => `note ${i}`));
    // Queued adds share commits: far fewer transactions than adds.
    expect(inserts.mock.calls.length).toBeGreaterThan(0);
    expect(inserts.mock.calls.length).toBeLessThan(16);
    await vi.waitFor(() => expect(events.filter((e) => e.type === "memory.added")).toHaveLength(64));
    expect(events.map((e) => e.id)).toEqual(added.map((m) => m.id));
    expect(new Set(events.map((e) => e.seq)).size).toBe(64);
    sub.unsubscribe();
    await loci.close();
    const reopened = await open();
    const page = await reopened.memory.list({ namespace: "team", limit: 100 });
    expect(page.items).toHaveLength(65);
    const hits = await reopened.memory.search({ namespace: "team", query: "note 17", limit: 3 });
    expect(hits.map((h) => h.memory.content)).toContain("note 17");
    await reopened.close();
  });

  it("adds arriving in separate callbacks of one event-loop turn (like HTTP requests) share a commit", async () => {
    const { loci, inserts } = await engineCountingInserts("io");
    inserts.mockClear();
    const added = await Promise.all(
      Array.from(
        { length: 16 },
        (_, i) =>
          new Promise<unknown>((resolve, reject) =>
            setTimeout(
              () => loci.memory.add({ namespace: "io", content: `from callback ${i}` }).then(resolve, reject),
              0,
            ),
          ),
      ),
    );
    expect(added).toHaveLength(16);
    expect(inserts.mock.calls.length).toBeLessThan(8);
    await loci.close();
  });

  it("a failing request in a group fails alone: a duplicate id gets ALREADY_EXISTS, the others are stored", async () => {
    const { loci, inserts } = await engineCountingInserts("ns");
    const results = await Promise.allSettled([
      ...Array.from({ length: 10 }, (_, i) => loci.memory.add({ namespace: "ns", content: `a${i}` })),
      loci.memory.add({ namespace: "ns", id: "same", content: "one" }),
      loci.memory.add({ namespace: "ns", id: "same", content: "two" }),
      ...Array.from({ length: 10 }, (_, i) => loci.memory.add({ namespace: "ns", content: `b${i}` })),
    ]);
    const failed = results.flatMap((r, i) =>
      r.status === "rejected" ? [{ i, err: r.reason as unknown }] : [],
    );
    expect(failed).toHaveLength(1);
    expect(failed[0]!.i).toBe(11);
    expect(LociError.isInstance(failed[0]!.err) && failed[0]!.err.code).toBe("ALREADY_EXISTS");
    expect((await loci.memory.get({ namespace: "ns", id: "same" })).content).toBe("one");
    expect((await loci.memory.list({ namespace: "ns", limit: 100 })).items).toHaveLength(22);
    // The group was tried, then its requests one by one.
    expect(inserts.mock.calls.length).toBeGreaterThan(results.length / 2);
    await loci.close();
  });
});

describe("GroupCommit", () => {
  it("takes queued requests in order up to maxWeight per commit; a heavier request commits alone", async () => {
    const lock = new Mutex();
    const commits: number[][] = [];
    const group = new GroupCommit<number, string>({
      exclusive: (task) => lock.run(task),
      commit: async (items) => {
        commits.push([...items]);
        await new Promise((r) => setTimeout(r, 5));
        return items.map((w) => `done ${w}`);
      },
      weight: (w) => w,
      maxWeight: 10,
    });
    const weights = [3, 4, 5, 2, 12, 1, 1];
    const results = await Promise.all(weights.map((w) => group.submit(w)));
    expect(results).toEqual(weights.map((w) => `done ${w}`));
    // All seven were queued before the first turn ran: 3+4 (≤ 10, +5 would not fit), 5+2, 12 alone, 1+1.
    expect(commits).toEqual([[3, 4], [5, 2], [12], [1, 1]]);
  });
});
