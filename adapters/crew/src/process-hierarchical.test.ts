import { AIMessage } from "@langchain/core/messages";
import type { Memory } from "@loci/engine";
import { openTempEngine, type TempEngine } from "@loci/engine/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Agent } from "./agent.js";
import { Crew } from "./crew.js";
import { CrewError, DelegationLimitError, OutputRejectedError } from "./errors.js";
import type { CrewEventMap } from "./events.js";
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

const delegateTo = (role: string, work = "dig deeper", n = 0) =>
  new AIMessage({
    content: "",
    tool_calls: [
      { name: "delegate_work", args: { agent_role: role, task: work }, id: `d-${n}`, type: "tool_call" },
    ],
  });

function setup(
  managerLlm: ScriptedChatModel,
  opts: { maxDelegations?: number; allowedAgents?: string[] } = {},
) {
  const workerLlm = new ScriptedChatModel({ script: ["Final Answer: WORK-RESULT partial"], loop: true });
  const researcher = new Agent({
    role: "Researcher",
    goal: "Research {topic}",
    backstory: "Analyst.",
    llm: workerLlm,
  });
  const critic = new Agent({
    role: "Critic",
    goal: "Criticize",
    backstory: "Grumpy.",
    llm: new ScriptedChatModel({ script: ["Final Answer: meh"], loop: true }),
    allowDelegation: false,
  });
  const task = new Task({
    name: "report",
    description: "Report on {topic}",
    expectedOutput: "A short report",
  });
  const delegations: CrewEventMap["delegation"][] = [];
  const crew = new Crew({
    agents: [researcher, critic],
    tasks: [task],
    process: Process.hierarchical,
    managerLlm,
    namespace: "hier",
    memory: env.loci,
    callbacks: { delegation: (d) => delegations.push(d) },
    ...opts,
  });
  return { crew, workerLlm, delegations };
}

const all = async (namespace: string): Promise<Memory[]> =>
  (await env.loci.memory.list({ namespace, limit: 1000 })).items;

describe("hierarchical process", () => {
  it("delegates, validates against the expected output and publishes the final answer", async () => {
    const manager = new ScriptedChatModel({
      script: [
        delegateTo("Researcher", "find the key fact"),
        "Final Answer: REPORT built on WORK-RESULT",
        "yes, it is a report",
      ],
    });
    const { crew, workerLlm, delegations } = setup(manager);
    const out = await crew.kickoff({ inputs: { topic: "memory" } });
    expect(out.raw).toBe("REPORT built on WORK-RESULT");
    expect(workerLlm.promptText(0)).toContain("Current task: find the key fact");
    expect(manager.promptText(1)).toContain("WORK-RESULT partial"); // the tool result came back
    expect(manager.promptText(2)).toContain("Expected output: A short report"); // the judgement
    expect(delegations).toEqual([
      { task: "report", toAgent: "Researcher", work: "find the key fact", attempt: 1, accepted: true },
    ]);
    const shared = await all("hier-shared");
    expect(shared).toHaveLength(1);
    expect(shared[0]!.metadata).toMatchObject({
      source_agent: "manager",
      task: "report",
      session_id: out.sessionId,
      contributors: ["Researcher"],
    });
    const statuses = (await all("hier-coordinator")).map(
      (m) => `${m.metadata.task}:${m.metadata.agent}:${m.metadata.status}`,
    );
    expect(statuses).toEqual([
      "report:manager:assigned",
      "report:manager:started",
      "report#1:Researcher:assigned",
      "report#1:Researcher:started",
      "report#1:Researcher:completed",
      "report:manager:completed",
    ]);
  });

  it("stops a manager that delegates forever with DelegationLimitError within the bound", async () => {
    const manager = new ScriptedChatModel({
      script: [(_m, i) => delegateTo("Researcher", `again ${i}`, i)],
      loop: true,
    });
    const { crew, workerLlm, delegations } = setup(manager, { maxDelegations: 3 });
    const err = await crew.kickoff({ inputs: { topic: "memory" } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DelegationLimitError);
    expect((err as CrewError).code).toBe("DELEGATION_LIMIT");
    expect((err as CrewError).details.attempts).toHaveLength(4);
    expect(workerLlm.prompts).toHaveLength(3); // three delegations ran, the fourth was refused
    expect(manager.prompts).toHaveLength(4);
    expect(delegations.filter((d) => d.accepted)).toHaveLength(3);
    const coord = await all("hier-coordinator");
    expect(coord.at(-1)!.metadata).toMatchObject({ task: "report", status: "failed" });
  });

  it("refuses delegation to itself, unknown roles and agents outside allowedAgents, and still ends", async () => {
    const targets = ["manager", "Nobody", "Critic", "Researcher"];
    const manager = new ScriptedChatModel({
      script: [(_m, i) => delegateTo(targets[i % targets.length]!, "x", i)],
      loop: true,
    });
    const { crew, workerLlm, delegations } = setup(manager, { maxDelegations: 3, allowedAgents: ["Critic"] });
    const err = await crew.kickoff({ inputs: { topic: "memory" } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DelegationLimitError);
    expect(delegations.map((d) => [d.toAgent, d.accepted])).toEqual([
      ["manager", false],
      ["Nobody", false],
      ["Critic", false], // allowDelegation: false
    ]);
    expect(workerLlm.prompts).toHaveLength(0);
    expect(manager.promptText(1)).toContain("is not a coworker you may delegate to");
  });

  it("asks for one revision when the judgement is no, then fails with OutputRejectedError", async () => {
    const manager = new ScriptedChatModel({
      script: ["Final Answer: draft", "no, too vague", "Final Answer: draft 2", "no, still vague"],
    });
    const { crew } = setup(manager);
    const err = await crew.kickoff({ inputs: { topic: "memory" } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputRejectedError);
    expect(manager.promptText(2)).toContain("judged not to meet the expected output");
    expect(await all("hier-shared")).toEqual([]);
  });

  it("requires managerLlm", () => {
    const llm = new ScriptedChatModel({ script: [] });
    const a = new Agent({ role: "A", goal: "g", backstory: "b", llm });
    expect(
      () =>
        new Crew({
          agents: [a],
          tasks: [new Task({ description: "d", expectedOutput: "e" })],
          process: Process.hierarchical,
          namespace: "x",
          memory: env.loci,
        }),
    ).toThrow(CrewError);
  });
});
