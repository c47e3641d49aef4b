import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";
import type { LociEvent } from "../types.js";

let env: TempEngine;
beforeEach(async () => {
  env = await openTempEngine();
});
afterEach(async () => env.cleanup());

const settle = () => new Promise((r) => setTimeout(r, 10));

describe("events", () => {
  it("delivers every change once, in order, with provenance", async () => {
    await env.loci.namespace.create({ name: "team" });
    const got: LociEvent[] = [];
    const sub = await env.loci.events.subscribe({ namespace: "team" }, (e) => {
      got.push(e);
    });
    const s = await env.loci.session.create({ namespace: "team", metadata: { run: 1 } });
    const m = await env.loci.memory.add({
      namespace: "team",
      content: "finding",
      sessionId: s.id,
      agentId: "researcher",
    });
    await env.loci.memory.update({ namespace: "team", id: m.id, content: "finding, revised" });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => env.loci.memory.add({ namespace: "team", content: `n${i}` })),
    );
    await env.loci.memory.delete({ namespace: "team", id: m.id });
    await env.loci.session.end({ namespace: "team", id: s.id });
    await settle();
    expect(got.map((e) => e.type)).toEqual([
      "session.created",
      "memory.added",
      "memory.updated",
      ...Array(20).fill("memory.added"),
      "memory.deleted",
      "session.ended",
    ]);
    expect(got.map((e) => e.seq)).toEqual(got.map((_, i) => got[0]!.seq + i));
    expect(got[1]).toMatchObject({
      id: m.id,
      namespace: "team",
      data: { sessionId: s.id, agentId: "researcher" },
    });
    sub.unsubscribe();
    await env.loci.memory.add({ namespace: "team", content: "after unsubscribe" });
    await settle();
    expect(got).toHaveLength(25);
  });

  it("replays from `since` then continues live, missing nothing (resume)", async () => {
    const first: LociEvent[] = [];
    await env.loci.namespace.create({ name: "ns" });
    const sub = await env.loci.events.subscribe({ namespace: "ns" }, (e) => {
      first.push(e);
    });
    for (let i = 0; i < 5; i++) await env.loci.memory.add({ namespace: "ns", content: `a${i}` });
    await settle();
    sub.unsubscribe();
    const last = first[2]!.seq; // pretend the consumer crashed after handling 3 events
    for (let i = 0; i < 3; i++) await env.loci.memory.add({ namespace: "ns", content: `b${i}` });
    const resumed: LociEvent[] = [];
    await env.loci.events.subscribe({ namespace: "ns", since: last }, (e) => {
      resumed.push(e);
    });
    await env.loci.memory.add({ namespace: "ns", content: "live" });
    await settle();
    expect(resumed.map((e) => e.seq)).toEqual([last + 1, last + 2, last + 3, last + 4, last + 5, last + 6]);
    const all = [...first.slice(0, 3), ...resumed];
    expect(new Set(all.map((e) => e.seq)).size).toBe(all.length);
  });

  it("filters by type, isolates namespaces, survives a throwing handler, and validates options", async () => {
    await env.loci.namespace.create({ name: "a" });
    await env.loci.namespace.create({ name: "b" });
    const got: string[] = [];
    await env.loci.events.subscribe({ namespace: "a", types: ["memory.deleted"] }, () => {
      throw new Error("handler bug");
    });
    await env.loci.events.subscribe({ namespace: "a", types: ["memory.deleted"] }, (e) => {
      got.push(e.id);
    });
    const m = await env.loci.memory.add({ namespace: "a", content: "x" });
    await env.loci.memory.add({ namespace: "b", content: "y" });
    await env.loci.memory.delete({ namespace: "a", id: m.id });
    await settle();
    expect(got).toEqual([m.id]);
    await expect(
      env.loci.events.subscribe({ namespace: "a", types: ["bogus" as never] }, () => {}),
    ).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    await expect(env.loci.events.subscribe({ namespace: "missing" }, () => {})).rejects.toMatchObject({
      code: "NAMESPACE_NOT_FOUND",
    });
  });
});
