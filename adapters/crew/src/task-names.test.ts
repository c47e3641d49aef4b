import type { Memory } from "@loci/engine";
import { openTempEngine, type TempEngine } from "@loci/engine/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
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

const agent = (role: string, answers: string[]) =>
  new Agent({ role, goal: "g", backstory: "b", llm: new ScriptedChatModel({ script: answers }) });

const all = async (namespace: string): Promise<Memory[]> =>
  (await env.loci.memory.list({ namespace, limit: 1000 })).items;

/** The coordinator's status records, per task name, in order. */
async function statusesByTask(namespace: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const m of await all(`${namespace}-coordinator`)) {
    if (m.metadata.kind !== "task_status") continue;
    const task = String(m.metadata.task);
    out[task] = [...(out[task] ?? []), String(m.metadata.status)];
  }
  return out;
}

const CYCLE = ["assigned", "started", "completed"];

describe("task names are unique within a crew", () => {
  it("suffixes repeated default names (-2, -3) so coordinator records and outputs stay apart", async () => {
    const a = agent("Summarizer", ["Final Answer: one", "Final Answer: two", "Final Answer: three"]);
    const tasks = [1, 2, 3].map(
      () => new Task({ description: "Summarize {topic}", expectedOutput: "A summary", agent: a }),
    );
    const crew = new Crew({ agents: [a], tasks, namespace: "names", memory: env.loci });
    const out = await crew.kickoff({ inputs: { topic: "memory" } });
    expect(out.tasksOutput.map((o) => [o.name, o.raw])).toEqual([
      ["summarize-topic", "one"],
      ["summarize-topic-2", "two"],
      ["summarize-topic-3", "three"],
    ]);
    expect(await statusesByTask("names")).toEqual({
      "summarize-topic": CYCLE,
      "summarize-topic-2": CYCLE,
      "summarize-topic-3": CYCLE,
    });
    const shared = (await all("names-shared")).filter((m) => m.metadata.kind === "task_output");
    expect(shared.map((m) => [m.metadata.task, m.content])).toEqual([
      ["summarize-topic", "one"],
      ["summarize-topic-2", "two"],
      ["summarize-topic-3", "three"],
    ]);
    expect(tasks.map((t) => crew.taskName(t))).toEqual([
      "summarize-topic",
      "summarize-topic-2",
      "summarize-topic-3",
    ]);
  });

  it("keeps explicit names as given and skips them when suffixing default names", async () => {
    const a = agent("Reviewer", ["Final Answer: r1", "Final Answer: r2", "Final Answer: r3"]);
    const first = new Task({ description: "Review draft", expectedOutput: "x", agent: a });
    const second = new Task({ description: "Review draft", expectedOutput: "x", agent: a });
    const explicit = new Task({
      name: "review-draft-2",
      description: "Other",
      expectedOutput: "x",
      agent: a,
    });
    const crew = new Crew({
      agents: [a],
      tasks: [first, second, explicit],
      namespace: "rev",
      memory: env.loci,
    });
    const out = await crew.kickoff();
    expect(out.tasksOutput.map((o) => o.name)).toEqual(["review-draft", "review-draft-3", "review-draft-2"]);
    expect(Object.keys(await statusesByTask("rev")).sort()).toEqual([
      "review-draft",
      "review-draft-2",
      "review-draft-3",
    ]);
    expect([first, second, explicit].map((t) => crew.taskName(t))).toEqual([
      "review-draft",
      "review-draft-3",
      "review-draft-2",
    ]);
    expect(second.name).toBe("review-draft");
  });

  it("names hierarchical tasks uniquely too", async () => {
    const worker = new Agent({
      role: "Worker",
      goal: "g",
      backstory: "b",
      llm: new ScriptedChatModel({ script: ["Final Answer: w"], loop: true }),
    });
    const manager = new ScriptedChatModel({ script: ["Final Answer: A", "yes", "Final Answer: B", "yes"] });
    const tasks = [1, 2].map(() => new Task({ description: "Check status", expectedOutput: "x" }));
    const crew = new Crew({
      agents: [worker],
      tasks,
      process: Process.hierarchical,
      managerLlm: manager,
      namespace: "hq",
      memory: env.loci,
    });
    const out = await crew.kickoff();
    expect(out.tasksOutput.map((o) => [o.name, o.raw])).toEqual([
      ["check-status", "A"],
      ["check-status-2", "B"],
    ]);
    expect(await statusesByTask("hq")).toEqual({ "check-status": CYCLE, "check-status-2": CYCLE });
  });

  it("rejects two tasks with the same explicit name, and the same task listed twice", () => {
    const a = agent("Writer", []);
    const t1 = new Task({ name: "draft", description: "one", expectedOutput: "x", agent: a });
    const t2 = new Task({ name: "draft", description: "two", expectedOutput: "x", agent: a });
    const dup = () => new Crew({ agents: [a], tasks: [t1, t2], namespace: "dup", memory: env.loci });
    expect(dup).toThrow(CrewError);
    expect(dup).toThrow(/two tasks are named "draft"/);
    try {
      dup();
    } catch (err) {
      expect((err as CrewError).code).toBe("INVALID_CONFIG");
    }
    const twice = () => new Crew({ agents: [a], tasks: [t1, t1], namespace: "dup", memory: env.loci });
    expect(twice).toThrow(/task "draft" is listed twice/);
  });
});
