import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import { LociError } from "../errors.js";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";

let env: TempEngine;
let clock: ManualClock;
beforeEach(async () => {
  clock = new ManualClock();
  env = await openTempEngine({ clock });
});
afterEach(async () => env.cleanup());

const code = (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (e) => (LociError.isInstance(e) ? e.code : String(e)),
  );

describe("sessions", () => {
  it("creates, gets, lists (status, metadata filter, cursor) and ends sessions", async () => {
    const a = await env.loci.session.create({
      namespace: "pipeline",
      metadata: { ticket: "T-1", kind: "triage" },
    });
    expect(a).toMatchObject({
      namespace: "pipeline",
      metadata: { ticket: "T-1" },
      endedAt: null,
      memoryCount: 0,
    });
    clock.advance(1000);
    const b = await env.loci.session.create({
      namespace: "pipeline",
      id: "run-2",
      metadata: { kind: "billing" },
    });
    await env.loci.session.create({ namespace: "pipeline", id: "run-3", metadata: { kind: "triage" } });
    expect(await env.loci.session.get({ namespace: "pipeline", id: "run-2" })).toEqual(b);
    expect(await code(env.loci.session.create({ namespace: "pipeline", id: "run-2" }))).toBe(
      "ALREADY_EXISTS",
    );
    const ended = await env.loci.session.end({ namespace: "pipeline", id: a.id });
    expect(ended.endedAt).toBe(new Date(clock.now()).toISOString());
    expect(await env.loci.session.end({ namespace: "pipeline", id: a.id })).toEqual(ended);
    const ids = async (o: object) =>
      (await env.loci.session.list({ namespace: "pipeline", ...o })).items.map((s) => s.id);
    expect(await ids({})).toEqual([a.id, "run-2", "run-3"]);
    expect(await ids({ status: "active" })).toEqual(["run-2", "run-3"]);
    expect(await ids({ status: "ended" })).toEqual([a.id]);
    expect(await ids({ filter: { kind: "triage" } })).toEqual([a.id, "run-3"]);
    const first = await env.loci.session.list({ namespace: "pipeline", limit: 2 });
    expect(first.items).toHaveLength(2);
    const rest = await env.loci.session.list({ namespace: "pipeline", limit: 2, cursor: first.nextCursor! });
    expect(rest.items.map((s) => s.id)).toEqual(["run-3"]);
    expect(rest.nextCursor).toBeNull();
    expect(await code(env.loci.session.get({ namespace: "pipeline", id: "nope" }))).toBe("SESSION_NOT_FOUND");
    expect(await code(env.loci.session.end({ namespace: "pipeline", id: "nope" }))).toBe("SESSION_NOT_FOUND");
    expect(await code(env.loci.session.list({ namespace: "pipeline", status: "open" as never }))).toBe(
      "INVALID_ARGUMENT",
    );
  });

  it("refuses memories for unknown or ended sessions, writing nothing", async () => {
    const s = await env.loci.session.create({ namespace: "n" });
    expect(await code(env.loci.memory.add({ namespace: "n", content: "x", sessionId: "ghost" }))).toBe(
      "SESSION_NOT_FOUND",
    );
    await env.loci.memory.add({ namespace: "n", content: "in session", sessionId: s.id });
    await env.loci.session.end({ namespace: "n", id: s.id });
    expect(await code(env.loci.memory.add({ namespace: "n", content: "late", sessionId: s.id }))).toBe(
      "SESSION_ENDED",
    );
    expect((await env.loci.memory.list({ namespace: "n" })).items.map((m) => m.content)).toEqual([
      "in session",
    ]);
  });

  it("keeps memoryCount right under concurrent adds and deletes", async () => {
    const s = await env.loci.session.create({ namespace: "n" });
    const added = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        env.loci.memory.add({ namespace: "n", content: `step ${i}`, sessionId: s.id }),
      ),
    );
    await Promise.all(added.slice(0, 10).map((m) => env.loci.memory.delete({ namespace: "n", id: m.id })));
    expect((await env.loci.session.get({ namespace: "n", id: s.id })).memoryCount).toBe(50);
  });

  it("a session search never returns memories of another session", async () => {
    const s1 = await env.loci.session.create({ namespace: "n" });
    const s2 = await env.loci.session.create({ namespace: "n" });
    await env.loci.memory.addMany({
      namespace: "n",
      memories: Array.from({ length: 30 }, (_, i) => ({
        content: `shared words finding ${i}`,
        sessionId: s1.id,
      })),
    });
    const mine = await env.loci.memory.add({ namespace: "n", content: "other words", sessionId: s2.id });
    for (const mode of ["hybrid", "vector", "keyword"] as const) {
      const hits = await env.loci.memory.search({
        namespace: "n",
        query: "shared words finding",
        sessionId: s2.id,
        mode,
      });
      expect(hits.every((h) => h.memory.sessionId === s2.id)).toBe(true);
      if (mode !== "keyword") expect(hits.map((h) => h.memory.id)).toEqual([mine.id]);
    }
  });

  it("deleting a namespace deletes its sessions", async () => {
    await env.loci.session.create({ namespace: "n", id: "keep-id" });
    await env.loci.namespace.delete({ namespace: "n" });
    await env.loci.namespace.create({ name: "n" });
    expect(await code(env.loci.session.get({ namespace: "n", id: "keep-id" }))).toBe("SESSION_NOT_FOUND");
    expect((await env.loci.session.list({ namespace: "n" })).items).toEqual([]);
  });
});
