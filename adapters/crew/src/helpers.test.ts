import { AIMessage } from "@langchain/core/messages";
import { openTempEngine } from "@loci/engine/testing";
import { describe, expect, it } from "vitest";
import { Agent } from "./agent.js";
import { Crew } from "./crew.js";
import { CrewError, MaxIterationsError, MissingInputError } from "./errors.js";
import { interpolate } from "./interpolate.js";
import { crewNamespaces, slugify } from "./namespaces.js";
import { extractJson, splitFinalAnswer } from "./output.js";
import { ScriptedChatModel } from "./scripted-chat-model.js";
import { Task } from "./task.js";

describe("interpolate", () => {
  it("fills placeholders, leaves JSON braces alone, and names the unknown placeholder", () => {
    expect(interpolate("Research {topic} in {year}", { topic: "RAG", year: 2026 }, "x")).toBe(
      "Research RAG in 2026",
    );
    expect(interpolate('Reply {"a": 1} or { }', {}, "x")).toBe('Reply {"a": 1} or { }');
    expect(() => interpolate("Hi {who}", {}, 'task "t" description')).toThrow(MissingInputError);
    expect(() => interpolate("Hi {who}", {}, 'task "t" description')).toThrow(
      /\{who\} in task "t" description/,
    );
  });
});

describe("answers", () => {
  it("splits at the last Final Answer marker", () => {
    expect(splitFinalAnswer("Thought: hmm\nFinal Answer: 42")).toEqual({
      thoughts: "Thought: hmm",
      answer: "42",
    });
    expect(splitFinalAnswer("just text")).toEqual({ thoughts: "", answer: "just text" });
  });
  it("extracts JSON from fences and surrounding prose", () => {
    expect(extractJson('```json\n{"a":1}\n```')).toEqual({ a: 1 });
    expect(extractJson('Here: {"a":[1,2]} done')).toEqual({ a: [1, 2] });
    expect(() => extractJson("nothing")).toThrow();
  });
});

describe("namespace layout", () => {
  it("derives shared, coordinator and private namespaces and rejects bad names", () => {
    const l = crewNamespaces("acme.user-42");
    expect([l.shared, l.coordinator, l.privateOf("Senior Researcher!")]).toEqual([
      "acme.user-42-shared",
      "acme.user-42-coordinator",
      "acme.user-42-senior-researcher",
    ]);
    expect(slugify("  QA / Perf  ")).toBe("qa-perf");
    expect(() => crewNamespaces("acme/user")).toThrow(CrewError);
    expect(() => l.privateOf("Shared")).toThrow(CrewError);
  });
});

describe("memory tools and the tool loop", () => {
  it("recall sees own notes and shared findings only; add_relation writes the shared graph", async () => {
    const env = await openTempEngine();
    try {
      await env.loci.memory.add({ namespace: "t-shared", content: "team fact: Acme renews in Q2" });
      await env.loci.memory.add({ namespace: "t-other", content: "other agent secret: Acme renews in Q2" });
      const llm = new ScriptedChatModel({
        script: [
          new AIMessage({
            content: "",
            tool_calls: [
              { name: "recall", args: { query: "Acme renews" }, id: "c1", type: "tool_call" },
              {
                name: "add_relation",
                args: {
                  source: { name: "Acme Corp", type: "company" },
                  relation: "renews in",
                  target: { name: "Q2" },
                },
                id: "c2",
                type: "tool_call",
              },
              { name: "no_such_tool", args: {}, id: "c3", type: "tool_call" },
            ],
          }),
          "Final Answer: done",
        ],
      });
      const agent = new Agent({ role: "Analyst", goal: "g", backstory: "b", llm });
      const crew = new Crew({
        agents: [agent],
        tasks: [new Task({ name: "t1", description: "Check Acme", expectedOutput: "x", agent })],
        namespace: "t",
        memory: env.loci,
      });
      const out = await crew.kickoff();
      const toolTurn = llm.promptText(1);
      expect(toolTurn).toContain("[team] team fact: Acme renews in Q2");
      expect(toolTurn).not.toContain("other agent secret");
      expect(toolTurn).toContain("recorded Acme Corp -renews_in-> Q2");
      expect(toolTurn).toContain('unknown tool "no_such_tool"');
      const entity = await env.loci.knowledgeGraph.getEntity({
        namespace: "t-shared",
        entity: { type: "company", name: "Acme Corp" },
      });
      expect(entity.outEdges[0]).toMatchObject({
        edgeType: "renews_in",
        metadata: { source_agent: "Analyst", task: "t1", session_id: out.sessionId },
      });
    } finally {
      await env.cleanup();
    }
  });

  it("bounds an agent that keeps calling tools", async () => {
    const env = await openTempEngine();
    try {
      const llm = new ScriptedChatModel({
        loop: true,
        script: [
          (_m, i) =>
            new AIMessage({
              content: "",
              tool_calls: [{ name: "recall", args: { query: "x" }, id: `c${i}`, type: "tool_call" }],
            }),
        ],
      });
      const agent = new Agent({ role: "Looper", goal: "g", backstory: "b", llm, maxIter: 2 });
      const crew = new Crew({
        agents: [agent],
        tasks: [new Task({ description: "loop", expectedOutput: "x", agent })],
        namespace: "t",
        memory: env.loci,
      });
      await expect(crew.kickoff()).rejects.toBeInstanceOf(MaxIterationsError);
      expect(llm.prompts).toHaveLength(3);
    } finally {
      await env.cleanup();
    }
  });
});
