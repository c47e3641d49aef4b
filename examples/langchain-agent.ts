/**
 * A LangChain support agent with Loci memory: `createAgent` from `langchain` with a Loci-backed
 * LangGraph store (`LociStore`) for long-term user preferences, and `LociChatMessageHistory` for each
 * ticket's transcript. Run 1 (ticket A) stores the customer's contact preference through a tool; the app
 * then restarts, and run 2 (ticket B, a new thread with an empty history) recalls it from the store.
 *
 * Run: `pnpm example langchain-agent`
 *
 * The model is scripted ({@link RuleChatModel}): it always recalls the user's preferences first, saves
 * any preference the user states, and answers from the tool results it got. To use a real model, pass
 * any tool-calling chat model as `model`, e.g. `createAgent({ model: "openai:gpt-4.1-mini", ... })`.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import type { BaseStore } from "@langchain/langgraph-checkpoint";
import { Loci } from "@loci/engine";
import { LociChatMessageHistory, LociStore } from "@loci/langchain";
import { AIMessage, type BaseMessage, createAgent, HumanMessage, type ToolRuntime, tool } from "langchain";
import { z } from "zod";
import type { Example } from "./context.js";
import { type ChatPolicy, lastUserText, RuleChatModel, toolResultsSinceUser } from "./lib/fake-models.js";

/** The customer's first message, which states a preference. */
export const PREFERENCE = "Please contact me by email at dana@example.com, never by phone.";

type Runtime = ToolRuntime<unknown, { userId: string }>;
/** LangGraph's store, as the agent hands it to tools (typed as core's KV store: cast it). */
const storeOf = (runtime: Runtime) => runtime.store as unknown as BaseStore;
const prefsOf = (runtime: Runtime) => ["users", runtime.context.userId, "preferences"];

const savePreference = tool(
  async ({ preference }, runtime: Runtime) => {
    await storeOf(runtime).put(prefsOf(runtime), randomUUID(), { text: preference });
    return `saved: ${preference}`;
  },
  {
    name: "save_preference",
    description: "Save a lasting preference the customer stated (contact channel, language, ...).",
    schema: z.object({ preference: z.string().describe("The preference, in the customer's words") }),
  },
);

const recallPreferences = tool(
  async ({ query }, runtime: Runtime) => {
    const items = await storeOf(runtime).search(prefsOf(runtime), { query, limit: 3 });
    return items.length === 0 ? "none" : items.map((i) => `- ${String(i.value.text)}`).join("\n");
  },
  {
    name: "recall_preferences",
    description: "Look up the customer's saved preferences relevant to a request.",
    schema: z.object({ query: z.string() }),
  },
);

/** The scripted support model: recall first (and save a stated preference), then answer from the results. */
const supportPolicy: ChatPolicy = (messages) => {
  const results = toolResultsSinceUser(messages);
  const user = lastUserText(messages);
  if (results.size === 0) {
    const stated = /\b(always|never|prefer|please)\b/i.test(user);
    return {
      toolCalls: [
        { name: "recall_preferences", args: { query: user } },
        ...(stated ? [{ name: "save_preference", args: { preference: user } }] : []),
      ],
    };
  }
  if (results.has("save_preference"))
    return "Thanks! I saved your preference and will follow it on every ticket.";
  const recalled = results.get("recall_preferences") ?? "none";
  if (recalled === "none") return "I'm on it. How would you like us to reach you?";
  return `I'm on it, and I'll follow your saved preference:\n${recalled}`;
};

/** One run of the agent, as the test sees it. */
export interface AgentRun {
  threadId: string;
  /** Messages already in the thread's history before the run. */
  historyBefore: number;
  /** The tools the model called. */
  toolCalls: string[];
  /** The agent's final reply. */
  reply: string;
  /** The first prompt the model got in this run. */
  firstPrompt: string;
}

/** What the example returns (asserted by its test). */
export interface LangChainAgentResult {
  run1: AgentRun;
  run2: AgentRun;
  /** The preferences stored for the user in the Loci-backed store. */
  storedPreferences: string[];
}

/** Handles one customer message on a ticket: load the thread's history, run the agent, save the new messages. */
async function handle(loci: Loci, threadId: string, text: string): Promise<AgentRun> {
  const model = new RuleChatModel(supportPolicy);
  const agent = createAgent({
    model,
    tools: [recallPreferences, savePreference],
    store: new LociStore({ client: loci, namespace: "support-memory" }),
    contextSchema: z.object({ userId: z.string() }),
    systemPrompt: "You are Acme's support agent. Check the customer's saved preferences before answering.",
  });
  const history = new LociChatMessageHistory({
    client: loci,
    namespace: "support-threads",
    sessionId: threadId,
  });
  const past = await history.getMessages();
  // No LangGraph checkpointer: the thread's transcript lives in Loci, the user's preferences in the store.
  const out = await agent.invoke(
    { messages: [...past, new HumanMessage(text)] },
    { context: { userId: "dana" } },
  );
  const fresh: BaseMessage[] = out.messages.slice(past.length);
  await history.addMessages(fresh);
  return {
    threadId,
    historyBefore: past.length,
    toolCalls: fresh.flatMap((m) => (AIMessage.isInstance(m) ? (m.tool_calls ?? []).map((c) => c.name) : [])),
    reply: fresh.at(-1)?.text ?? "",
    firstPrompt: model.prompts[0] ?? "",
  };
}

/** The example. */
export const example: Example<LangChainAgentResult> = {
  description:
    "LangChain createAgent with LociStore: a preference saved in one thread is recalled in a new one",
  async run({ dataDir, log }) {
    const show = (r: AgentRun) => {
      log(
        `  (thread ${r.threadId}: ${r.historyBefore} earlier messages; tools called: ${r.toolCalls.join(", ")})`,
      );
      for (const l of r.reply.split("\n")) log(`  agent: ${l}`);
    };

    let loci = await Loci.open({ dataDir });
    let run1: AgentRun;
    try {
      log("Run 1, ticket-A");
      log(`  customer: ${PREFERENCE}`);
      run1 = await handle(loci, "ticket-A", PREFERENCE);
      show(run1);
    } finally {
      await loci.close();
    }

    log("");
    log("The app restarts: a new engine, a new agent, a new model; only the Loci data directory remains.");
    log("");
    loci = await Loci.open({ dataDir });
    try {
      const question = "My March invoice was charged twice. How will you follow up?";
      log("Run 2, ticket-B (a new thread)");
      log(`  customer: ${question}`);
      const run2 = await handle(loci, "ticket-B", question);
      show(run2);

      const store = new LociStore({ client: loci, namespace: "support-memory" });
      const items = await store.search(["users", "dana"]);
      const storedPreferences = items.map((i) => String(i.value.text));
      const threads = await loci.session.list({ namespace: "support-threads" });
      log("");
      log(
        `LociStore holds ${items.length} preference(s) for user "dana" under ["users", "dana", "preferences"].`,
      );
      log(`LociChatMessageHistory holds ${threads.items.length} ticket transcripts (one Loci session each).`);
      return { run1, run2, storedPreferences };
    } finally {
      await loci.close();
    }
  },
};
