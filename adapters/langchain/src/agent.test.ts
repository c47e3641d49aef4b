import type { BaseStore } from "@langchain/langgraph-checkpoint";
import { HashEmbedder, type MemoryClient } from "@loci/engine";
import { openTempEngine } from "@loci/engine/testing";
import { startTestServer } from "@loci/server/testing";
import { createAgent, FakeToolCallingModel, ToolMessage, type ToolRuntime, tool } from "langchain";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { LociStore } from "./store.js";

const remember = tool(
  async ({ fact }, runtime) => {
    const store = (runtime as unknown as ToolRuntime).store as unknown as BaseStore;
    await store.put(["memories", "user-1"], "fav-color", { fact });
    return "saved";
  },
  { name: "remember", description: "Save a fact", schema: z.object({ fact: z.string() }) },
);

const recall = tool(
  async ({ query }, runtime) => {
    const store = (runtime as unknown as ToolRuntime).store as unknown as BaseStore;
    const hits = await store.search(["memories", "user-1"], { query, limit: 3 });
    const direct = await store.get(["memories", "user-1"], "fav-color");
    return JSON.stringify({ hits: hits.map((h) => h.value.fact), direct: direct?.value.fact ?? null });
  },
  { name: "recall", description: "Recall facts", schema: z.object({ query: z.string() }) },
);

/** One run: the model calls `toolName` once, then answers. */
async function run(store: BaseStore, toolName: string, args: Record<string, unknown>, threadId: string) {
  const model = new FakeToolCallingModel({
    toolCalls: [[{ name: toolName, args, id: `${toolName}-1` }], []],
  });
  const agent = createAgent({ model, tools: [remember, recall], store });
  const out = await agent.invoke(
    { messages: [{ role: "user", content: "hi" }] },
    { configurable: { thread_id: threadId } },
  );
  const toolMessages = out.messages.filter((m) => ToolMessage.isInstance(m));
  expect(toolMessages).toHaveLength(1);
  return String(toolMessages[0]!.content);
}

async function roundTrip(client: MemoryClient) {
  const store = new LociStore({ client, namespace: "agent-memory" });
  expect(await run(store, "remember", { fact: "favourite colour is teal" }, "thread-1")).toBe("saved");
  const recalled = JSON.parse(await run(store, "recall", { query: "favourite colour" }, "thread-2"));
  expect(recalled).toEqual({ hits: ["favourite colour is teal"], direct: "favourite colour is teal" });
  const hits = await client.memory.search({ namespace: "agent-memory", query: "teal" });
  expect(hits).toHaveLength(1);
}

describe("createAgent with LociStore", () => {
  it("a fact saved by a tool in one run is recalled in a new run (in-process engine)", async () => {
    const env = await openTempEngine({ embedder: new HashEmbedder({ dimensions: 256 }) });
    try {
      await roundTrip(env.loci);
    } finally {
      await env.cleanup();
    }
  });

  it("a fact saved by a tool in one run is recalled in a new run (real server over HTTP)", async () => {
    const server = await startTestServer();
    try {
      await roundTrip(server.root);
    } finally {
      await server.stop();
    }
  });
});
