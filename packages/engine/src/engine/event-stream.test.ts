import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";
import type { LociEvent } from "../types.js";

let env: TempEngine;
beforeEach(async () => {
  env = await openTempEngine();
});
afterEach(async () => env.cleanup());

/** The iterator's next step, or "pending" when it has not settled within `ms`. */
async function nextOrPending(it: AsyncIterator<LociEvent>, ms = 300) {
  const pending = new Promise<"pending">((resolve) => setTimeout(() => resolve("pending"), ms));
  return Promise.race([it.next(), pending]);
}

describe("events.stream and its signal", () => {
  it("ends at once when the signal was aborted before the stream started", async () => {
    await env.loci.namespace.create({ name: "n" });
    const stream = env.loci.events.stream({ namespace: "n", since: 0, signal: AbortSignal.abort() });
    const it = stream[Symbol.asyncIterator]();
    expect(await nextOrPending(it)).toEqual({ value: undefined, done: true });
    // Nothing is delivered after the end, and the engine holds no subscriber for it.
    await env.loci.memory.add({ namespace: "n", content: "after the end" });
    expect(await nextOrPending(it)).toEqual({ value: undefined, done: true });
  });

  it("ends a waiting consumer when the signal is aborted later", async () => {
    await env.loci.namespace.create({ name: "n" });
    const controller = new AbortController();
    const it = env.loci.events.stream({ namespace: "n", signal: controller.signal })[Symbol.asyncIterator]();
    await env.loci.memory.add({ namespace: "n", content: "one" });
    const first = await nextOrPending(it);
    expect(first).toMatchObject({ done: false, value: { type: "memory.added" } });
    const waiting = it.next();
    controller.abort();
    expect(await waiting).toEqual({ value: undefined, done: true });
  });
});
