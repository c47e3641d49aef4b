import type { Document } from "@langchain/core/documents";
import { HashEmbedder } from "@loci/engine";
import { openTempEngine, type TempEngine } from "@loci/engine/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LociMemory } from "./memory.js";

describe("LociMemory", () => {
  let env: TempEngine;
  beforeEach(async () => {
    env = await openTempEngine({ embedder: new HashEmbedder({ dimensions: 256 }) });
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it("saves exchanges and recalls the relevant one", async () => {
    const memory = new LociMemory({
      client: env.loci,
      namespace: "assistant",
      k: 1,
      metadata: { user: "ada" },
    });
    expect(memory.memoryKeys).toEqual(["history"]);
    await memory.saveContext({ input: "My favourite city is Lisbon" }, { output: "Noted: Lisbon" });
    await memory.saveContext({ input: "I drink green tea" }, { output: "Noted: green tea" });
    const vars = await memory.loadMemoryVariables({ input: "which city is my favourite?" });
    expect(vars.history).toBe("Human: My favourite city is Lisbon\nAI: Noted: Lisbon");
    const listed = await env.loci.memory.list({ namespace: "assistant" });
    expect(listed.items[0]!.metadata).toMatchObject({ user: "ada", lc_input: "My favourite city is Lisbon" });
  });

  it("returns Documents with returnDocs, honours keys and sessions", async () => {
    await env.loci.session.create({ namespace: "assistant", id: "s1" });
    const memory = new LociMemory({
      client: env.loci,
      namespace: "assistant",
      sessionId: "s1",
      memoryKey: "context",
      inputKey: "question",
      outputKey: "answer",
      returnDocs: true,
    });
    await new LociMemory({ client: env.loci, namespace: "assistant" }).saveContext(
      { input: "tea" },
      { output: "x" },
    );
    await memory.saveContext({ question: "tea or coffee?", other: 1 }, { answer: "tea", extra: 2 });
    const vars = await memory.loadMemoryVariables({ question: "tea" });
    const docs = vars.context as Document[];
    expect(docs).toHaveLength(1);
    expect(docs[0]!.pageContent).toBe("Human: tea or coffee?\nAI: tea");
    expect(typeof docs[0]!.metadata.score).toBe("number");
    expect((await memory.loadMemoryVariables({ question: "  " })).context).toEqual([]);
  });

  it("passes Loci's ranking options on to recall (here the length prior)", async () => {
    const opts = { client: env.loci, namespace: "prior", k: 1 };
    const plain = new LociMemory({ ...opts, search: { mode: "keyword" } });
    await plain.saveContext({ input: "Lisbon" }, { output: "ok" });
    await plain.saveContext(
      { input: "I moved to Lisbon for the nursing job at the children's hospital by the river" },
      { output: "Noted: you work as a nurse in a children's hospital there" },
    );
    expect((await plain.loadMemoryVariables({ input: "Lisbon" })).history).toBe("Human: Lisbon\nAI: ok");
    const prior = new LociMemory({
      ...opts,
      search: { mode: "keyword", lengthPrior: { weight: 1, terms: 20 } },
    });
    expect((await prior.loadMemoryVariables({ input: "Lisbon" })).history).toContain("nursing job");
  });
});
