import {
  AIMessage,
  type BaseMessage,
  HumanMessage,
  SystemMessage,
  ToolMessage,
} from "@langchain/core/messages";
import { ChatPromptTemplate, MessagesPlaceholder } from "@langchain/core/prompts";
import { RunnableWithMessageHistory } from "@langchain/core/runnables";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { HashEmbedder } from "@loci/engine";
import { openTempEngine, type TempEngine } from "@loci/engine/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LociChatMessageHistory } from "./chat-history.js";

describe("LociChatMessageHistory", () => {
  let env: TempEngine;
  beforeEach(async () => {
    env = await openTempEngine({ embedder: new HashEmbedder({ dimensions: 256 }) });
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it("stores a long message (a 70k-character tool result) like InMemoryChatMessageHistory", async () => {
    const history = new LociChatMessageHistory({ client: env.loci, namespace: "chats", sessionId: "big" });
    const long = `${"row,".repeat(17_500)}end`; // > 64 KiB: more than Loci's default metadata limit
    const msgs: BaseMessage[] = [
      new HumanMessage("dump the table"),
      new ToolMessage({ content: long, tool_call_id: "c1", name: "sql" }),
      new AIMessage({ content: [{ type: "text", text: "summary" }], id: "a1" }),
      new AIMessage(`  ${long}  `),
    ];
    await history.addMessages(msgs);
    const back = await history.getMessages();
    expect(back.map((m) => m.type)).toEqual(["human", "tool", "ai", "ai"]);
    expect(back[1]!.content).toBe(long);
    expect((back[1] as ToolMessage).tool_call_id).toBe("c1");
    expect(back[2]!.content).toEqual([{ type: "text", text: "summary" }]);
    expect(back[2]!.id).toBe("a1");
    expect(back[3]!.content).toBe(`  ${long}  `); // verbatim, whitespace included
  });

  it("round-trips message types, tool calls and ids in order; creates the session", async () => {
    const history = new LociChatMessageHistory({ client: env.loci, namespace: "chats", sessionId: "s1" });
    expect(await history.getMessages()).toEqual([]);
    const msgs: BaseMessage[] = [
      new SystemMessage("be brief"),
      new HumanMessage({ content: "weather in Paris?", id: "h1" }),
      new AIMessage({
        content: "",
        tool_calls: [{ id: "call-1", name: "weather", args: { city: "Paris" }, type: "tool_call" }],
      }),
      new ToolMessage({ content: "18C sunny", tool_call_id: "call-1", name: "weather" }),
      new AIMessage("It is 18C and sunny."),
    ];
    await history.addMessages(msgs.slice(0, 2));
    for (const m of msgs.slice(2)) await history.addMessage(m);
    const back = await history.getMessages();
    expect(back.map((m) => m.type)).toEqual(["system", "human", "ai", "tool", "ai"]);
    expect(back[1]!.id).toBe("h1");
    expect((back[2] as AIMessage).tool_calls?.[0]).toMatchObject({
      id: "call-1",
      name: "weather",
      args: { city: "Paris" },
    });
    expect((back[3] as ToolMessage).tool_call_id).toBe("call-1");
    expect(back[4]!.content).toBe("It is 18C and sunny.");
    const session = await env.loci.session.get({ namespace: "chats", id: "s1" });
    expect(session.memoryCount).toBe(5);
    // The conversation is searchable in Loci.
    const hits = await env.loci.memory.search({
      namespace: "chats",
      query: "Paris weather",
      sessionId: "s1",
    });
    expect(hits.length).toBeGreaterThan(0);
  });

  it("keeps sessions apart and clear() empties only its own", async () => {
    const a = new LociChatMessageHistory({ client: env.loci, namespace: "chats", sessionId: "a" });
    const b = new LociChatMessageHistory({ client: env.loci, namespace: "chats", sessionId: "b" });
    await a.addUserMessage("hello from a");
    await b.addUserMessage("hello from b");
    await a.addAIMessage("reply to a");
    expect((await a.getMessages()).map((m) => m.content)).toEqual(["hello from a", "reply to a"]);
    await a.clear();
    expect(await a.getMessages()).toEqual([]);
    expect((await b.getMessages()).map((m) => m.content)).toEqual(["hello from b"]);
    await a.addUserMessage("again");
    expect((await a.getMessages()).map((m) => m.content)).toEqual(["again"]);
  });

  it("works with RunnableWithMessageHistory", async () => {
    const model = new FakeListChatModel({ responses: ["Hi Ada!", "Your name is Ada."] });
    const prompt = ChatPromptTemplate.fromMessages([
      ["system", "You are helpful."],
      new MessagesPlaceholder("history"),
      ["human", "{input}"],
    ]);
    const seen: number[] = [];
    const chain = prompt
      .pipe((p) => {
        seen.push(p.toChatMessages().length);
        return p;
      })
      .pipe(model);
    const withHistory = new RunnableWithMessageHistory({
      runnable: chain,
      getMessageHistory: (sessionId: string) =>
        new LociChatMessageHistory({ client: env.loci, namespace: "chats", sessionId }),
      inputMessagesKey: "input",
      historyMessagesKey: "history",
    });
    const config = { configurable: { sessionId: "conv-1" } };
    expect((await withHistory.invoke({ input: "I am Ada" }, config)).content).toBe("Hi Ada!");
    expect((await withHistory.invoke({ input: "What is my name?" }, config)).content).toBe(
      "Your name is Ada.",
    );
    expect(seen).toEqual([2, 4]);
    const stored = await new LociChatMessageHistory({
      client: env.loci,
      namespace: "chats",
      sessionId: "conv-1",
    }).getMessages();
    expect(stored.map((m) => [m.type, m.content])).toEqual([
      ["human", "I am Ada"],
      ["ai", "Hi Ada!"],
      ["human", "What is my name?"],
      ["ai", "Your name is Ada."],
    ]);
  });
});
