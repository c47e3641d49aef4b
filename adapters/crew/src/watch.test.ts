import type { Memory, Metadata } from "@loci/engine";
import { openTempEngine, type TempEngine } from "@loci/engine/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Agent } from "./agent.js";
import { ScriptedChatModel } from "./scripted-chat-model.js";

let env: TempEngine;
beforeEach(async () => {
  env = await openTempEngine();
});
afterEach(async () => {
  await env.cleanup();
});

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("reactive agents", () => {
  it("acts on a new high-severity memory only", async () => {
    const llm = new ScriptedChatModel({ script: ["Rotate the leaked key now."] });
    const responder = new Agent({
      role: "Incident Responder",
      goal: "Handle incidents",
      backstory: "On call.",
      llm,
    });
    const handled: Memory[] = [];
    const watch = await responder.watch({
      memory: env.loci,
      namespace: "ops-shared",
      filter: { severity: "high" },
      onEvent: async (memory, { agent }) => {
        const answer = await agent.llm.invoke(`React to: ${memory.content}`);
        await env.loci.memory.add({
          namespace: "ops-incident-responder",
          content: answer.text,
          metadata: { reacting_to: memory.id },
        });
        handled.push(memory);
      },
    });
    try {
      await env.loci.memory.add({
        namespace: "ops-shared",
        content: "minor typo",
        metadata: { severity: "low" },
      });
      const high = await env.loci.memory.add({
        namespace: "ops-shared",
        content: "API key leaked in logs",
        metadata: { severity: "high" },
      });
      await until(() => handled.length === 1);
      await new Promise((r) => setTimeout(r, 50));
      expect(handled.map((m) => m.id)).toEqual([high.id]);
      expect(llm.promptText(0)).toContain("API key leaked in logs");
      const reactions = await env.loci.memory.list({ namespace: "ops-incident-responder" });
      expect(reactions.items.map((m) => [m.content, m.metadata.reacting_to])).toEqual([
        ["Rotate the leaked key now.", high.id],
      ]);
    } finally {
      watch.stop();
    }
  });

  it("accepts a predicate filter and stops delivering after stop()", async () => {
    const llm = new ScriptedChatModel({ script: [] });
    const agent = new Agent({ role: "Watcher", goal: "g", backstory: "b", llm });
    const seen: string[] = [];
    const watch = await agent.watch({
      memory: env.loci,
      namespace: "ops-shared",
      filter: (m) => m.content.startsWith("ALERT"),
      onEvent: (m) => {
        seen.push(m.content);
      },
    });
    await env.loci.memory.add({ namespace: "ops-shared", content: "ALERT one" });
    await env.loci.memory.add({ namespace: "ops-shared", content: "noise" });
    await until(() => seen.length === 1);
    watch.stop();
    await env.loci.memory.add({ namespace: "ops-shared", content: "ALERT two" });
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual(["ALERT one"]);
  });

  it("matches metadata filters structurally: object keys in any order, arrays in order", async () => {
    const agent = new Agent({
      role: "Watcher",
      goal: "g",
      backstory: "b",
      llm: new ScriptedChatModel({ script: [] }),
    });
    const seen: string[] = [];
    const watch = await agent.watch({
      memory: env.loci,
      namespace: "ops-shared",
      filter: {
        owner: { team: "sre", name: "ana", on: { week: 3, days: ["mon", "tue"] } },
        tags: ["db", "p1"],
      },
      onEvent: (m) => {
        seen.push(m.content);
      },
    });
    try {
      const owner = (days: string[], extra: Record<string, string> = {}) => ({
        name: "ana",
        on: { days, week: 3 },
        team: "sre",
        ...extra,
      });
      const add = (content: string, metadata: Metadata) =>
        env.loci.memory.add({ namespace: "ops-shared", content, metadata });
      await add("reordered keys", { tags: ["db", "p1"], owner: owner(["mon", "tue"]) });
      await add("reordered array", { tags: ["p1", "db"], owner: owner(["mon", "tue"]) });
      await add("reordered nested array", { tags: ["db", "p1"], owner: owner(["tue", "mon"]) });
      await add("extra nested key", { tags: ["db", "p1"], owner: owner(["mon", "tue"], { role: "lead" }) });
      await add("missing key", { owner: owner(["mon", "tue"]) });
      // Same key order as the filter: the last event, so seeing it means every earlier one was judged.
      await add("last", {
        owner: { team: "sre", name: "ana", on: { week: 3, days: ["mon", "tue"] } },
        tags: ["db", "p1"],
      });
      await until(() => seen.includes("last"));
      expect(seen).toEqual(["reordered keys", "last"]);
    } finally {
      watch.stop();
    }
  });
});
