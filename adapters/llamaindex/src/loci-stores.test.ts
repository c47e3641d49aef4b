import type { ChatMessage } from "@llamaindex/core/llms";
import { createMemory } from "@llamaindex/core/memory";
import { openTempEngine, type TempEngine } from "@loci/engine/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LociChatStore } from "./loci-chat-store.js";
import { LociKVStore } from "./loci-kv-store.js";
import { LociMemoryBlock } from "./loci-memory-block.js";

let env: TempEngine;
beforeEach(async () => {
  env = await openTempEngine();
});
afterEach(async () => {
  await env.cleanup();
});

describe("LociKVStore", () => {
  it("puts, gets, lists and deletes by collection, and persists across a reopen", async () => {
    const kv = new LociKVStore({ client: env.loci, namespace: "kv" });
    expect(await kv.get("missing")).toBeNull();
    expect(await kv.getAll()).toEqual({});
    await kv.put("a", { n: 1, nested: { x: [1, 2] } });
    await kv.put("b", { n: 2 });
    await kv.put("a", { n: 3 }, "other");
    await kv.put("b", { n: 20 }); // replace
    expect(await kv.get("a")).toEqual({ n: 1, nested: { x: [1, 2] } });
    expect(await kv.getAll()).toEqual({ a: { n: 1, nested: { x: [1, 2] } }, b: { n: 20 } });
    expect(await kv.getAll("other")).toEqual({ a: { n: 3 } });
    expect(await kv.delete("a")).toBe(true);
    expect(await kv.delete("a")).toBe(false);
    const reopened = new LociKVStore({ client: await env.reopen(), namespace: "kv" });
    expect(await reopened.getAll()).toEqual({ b: { n: 20 } });
    expect(await reopened.get("a", "other")).toEqual({ n: 3 });
  });
});

describe("LociChatStore", () => {
  const msg = (role: ChatMessage["role"], content: string): ChatMessage => ({ role, content });

  it("keeps messages per key in insertion order, with inserts and deletes by index", async () => {
    const store = new LociChatStore({ client: env.loci, namespace: "chats" });
    // Callers do not await the writers: the store serializes them.
    store.setMessages("s1", [msg("user", "hi"), msg("assistant", "hello")]);
    store.addMessage("s1", msg("user", "how are you?"));
    store.addMessage("s1", msg("system", "be nice"), 0);
    store.addMessage("s1", msg("assistant", "middle"), 2);
    store.addMessage("s2", msg("user", "other chat"));
    expect((await store.getMessages("s1")).map((m) => m.content)).toEqual([
      "be nice",
      "hi",
      "middle",
      "hello",
      "how are you?",
    ]);
    store.deleteMessage("s1", 2);
    expect((await store.getMessages("s1")).map((m) => m.content)).toEqual([
      "be nice",
      "hi",
      "hello",
      "how are you?",
    ]);
    expect([...(await store.getKeys())].sort()).toEqual(["s1", "s2"]);
    await store.deleteMessages("s2");
    expect(await store.getMessages("s2")).toEqual([]);
    expect([...(await store.getKeys())]).toEqual(["s1"]);
    await store.setMessages("s1", [msg("user", "fresh")]);
    const reopened = new LociChatStore({ client: await env.reopen(), namespace: "chats" });
    expect(await reopened.getMessages("s1")).toEqual([{ role: "user", content: "fresh" }]);
  });
});

describe("LociMemoryBlock", () => {
  it("stores messages and recalls relevant long-term facts in createMemory", async () => {
    const block = new LociMemoryBlock({ client: env.loci, namespace: "facts", topK: 2 });
    await block.put([
      { id: "1", role: "user", content: "My favourite colour is teal." },
      { id: "2", role: "assistant", content: "Noted: teal is your favourite colour." },
      { id: "3", role: "user", content: "I live in Lisbon and work as a nurse." },
      { id: "4", role: "system", content: "system prompts are not stored" },
    ]);
    const listed = await env.loci.memory.list({ namespace: "facts" });
    expect(listed.items).toHaveLength(3);
    expect(await block.get([])).toEqual([]);
    const recalled = await block.get([{ id: "q", role: "user", content: "Which city do I live in?" }]);
    expect(recalled).toHaveLength(1);
    expect(recalled[0]?.role).toBe("memory");
    expect(String(recalled[0]?.content)).toContain("Lisbon");

    // A new conversation (fresh Memory) recalls facts from the earlier one.
    const memory = createMemory({
      tokenLimit: 2000,
      memoryBlocks: [new LociMemoryBlock({ client: env.loci, namespace: "facts", topK: 1 })],
    });
    await memory.add({ role: "user", content: "what is my favourite colour?" });
    const messages = await memory.getLLM();
    const memoryMessage = messages.find((m) => String(m.content).includes("Relevant long-term memory"));
    expect(String(memoryMessage?.content)).toContain("teal");
    expect(messages.at(-1)?.content).toBe("what is my favourite colour?");
  });

  it("passes Loci's ranking options on to the recall (here the length prior)", async () => {
    const long = "Lisbon is where I moved for the nursing job at the children's hospital near the river";
    const put = (block: LociMemoryBlock) =>
      block.put([
        { id: "1", role: "user", content: "Lisbon, yes" },
        { id: "2", role: "user", content: long },
      ]);
    const opts = { client: env.loci, namespace: "prior", topK: 1, mode: "keyword" as const };
    const plain = new LociMemoryBlock({ ...opts, format: (facts) => facts.join("|") });
    await put(plain);
    const ask = [{ id: "q", role: "user" as const, content: "Lisbon" }];
    expect((await plain.get(ask))[0]?.content).toBe("Lisbon, yes"); // BM25 favours the short one
    const prior = new LociMemoryBlock({
      ...opts,
      format: (facts) => facts.join("|"),
      search: { lengthPrior: { weight: 1, terms: 20 } },
    });
    expect((await prior.get(ask))[0]?.content).toBe(long);
  });

  it("flushes old messages into Loci when short-term memory overflows", async () => {
    const memory = createMemory({
      tokenLimit: 60,
      shortTermTokenLimitRatio: 0.5,
      memoryBlocks: [new LociMemoryBlock({ client: env.loci, namespace: "flush" })],
    });
    for (let i = 0; i < 6; i++) {
      await memory.add({ role: "user", content: `fact number ${i}: the launch code word is zebra${i}` });
    }
    const stored = await env.loci.memory.list({ namespace: "flush" });
    expect(stored.items.length).toBeGreaterThan(0);
    expect(stored.items[0]?.metadata).toMatchObject({
      source: "llamaindex-memory",
      role: "user",
      block_id: "loci",
    });
  });
});
