import type { MemoryClient } from "@loci/engine";
import { openTempEngine, type TempEngine } from "@loci/engine/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Agent } from "./agent.js";
import { Crew } from "./crew.js";
import { CrewError } from "./errors.js";
import { Process } from "./process.js";
import { ScriptedChatModel } from "./scripted-chat-model.js";
import { Task } from "./task.js";

let env: TempEngine;
beforeEach(async () => {
  env = await openTempEngine();
});
afterEach(async () => {
  await env.cleanup();
});

const agent = (role: string, answer = "Final Answer: ok") =>
  new Agent({
    role,
    goal: "g",
    backstory: "b",
    llm: new ScriptedChatModel({ script: [answer], loop: true }),
  });

describe("task context must point to earlier tasks of the crew", () => {
  it("rejects a context task that runs later (its output would silently be missing)", () => {
    const a = agent("Researcher");
    const write = new Task({ name: "write", description: "write", expectedOutput: "x", agent: a });
    const edit = new Task({
      name: "edit",
      description: "edit",
      expectedOutput: "x",
      agent: a,
      context: [write],
    });
    // `edit` runs first but needs `write`'s output.
    const build = () => new Crew({ agents: [a], tasks: [edit, write], namespace: "ctx", memory: env.loci });
    expect(build).toThrow(CrewError);
    expect(build).toThrow(/context.*"write".*later|not an earlier task/);
  });

  it("rejects a context task that is not in the crew", () => {
    const a = agent("Researcher");
    const stray = new Task({ name: "stray", description: "s", expectedOutput: "x", agent: a });
    const t = new Task({ name: "t", description: "t", expectedOutput: "x", agent: a, context: [stray] });
    expect(() => new Crew({ agents: [a], tasks: [t], namespace: "ctx", memory: env.loci })).toThrow(
      /not an earlier task/,
    );
  });

  it("accepts a context of earlier tasks", () => {
    const a = agent("Researcher");
    const t1 = new Task({ name: "t1", description: "t1", expectedOutput: "x", agent: a });
    const t2 = new Task({ name: "t2", description: "t2", expectedOutput: "x", agent: a, context: [t1] });
    expect(
      () => new Crew({ agents: [a], tasks: [t1, t2], namespace: "ctx", memory: env.loci }),
    ).not.toThrow();
  });
});

describe("kickoff error handling", () => {
  it("ends the sessions it opened when opening another one fails", async () => {
    const a = agent("Researcher");
    const failing: MemoryClient = new Proxy(env.loci, {
      get(target, prop, receiver) {
        if (prop !== "session") return Reflect.get(target, prop, receiver);
        return {
          ...target.session,
          create: () => Promise.reject(new Error("session create refused")),
        };
      },
    });
    const t = new Task({ name: "t", description: "t", expectedOutput: "x", agent: a });
    const crew = new Crew({
      agents: [a],
      tasks: [t],
      namespace: "leak",
      memory: env.loci,
      agentMemory: { Researcher: failing },
    });
    await expect(crew.kickoff({ sessionId: "run-1" })).rejects.toThrow(/session create refused/);
    const shared = await env.loci.session.get({ namespace: "leak-shared", id: "run-1" });
    expect(shared.endedAt).toBeTruthy();
    const coordinator = await env.loci.session.get({ namespace: "leak-coordinator", id: "run-1" });
    expect(coordinator.endedAt).toBeTruthy();
  });
});

describe("hierarchical process with an output schema", () => {
  const schema = z.object({ title: z.string(), score: z.number() });

  it("tells the manager the schema and lets it revise an answer that does not validate", async () => {
    // A model that plays both roles deterministically.
    const answers = ["Final Answer: a nice title, score 3", 'Final Answer: {"title":"T","score":3}'];
    let managerCalls = 0;
    const llm = new ScriptedChatModel({
      script: [
        (msgs) => {
          if (msgs[0]?.text.startsWith("You check task outputs")) return "yes, it meets it";
          return answers[Math.min(managerCalls++, answers.length - 1)]!;
        },
      ],
      loop: true,
    });
    const a = agent("Researcher");
    const t = new Task({
      name: "rate",
      description: "Rate it",
      expectedOutput: "A rating",
      outputSchema: schema,
    });
    const crew = new Crew({
      agents: [a],
      tasks: [t],
      process: Process.hierarchical,
      managerLlm: llm,
      namespace: "hier",
      memory: env.loci,
    });
    const out = await crew.kickoff();
    expect(out.json).toEqual({ title: "T", score: 3 });
    expect(llm.promptText(0)).toContain("JSON");
    expect(llm.promptText(0)).toContain('"score"');
  });
});
