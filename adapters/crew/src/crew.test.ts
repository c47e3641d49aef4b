import type { Memory } from "@loci/engine";
import { openTempEngine, type TempEngine } from "@loci/engine/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Agent } from "./agent.js";
import { Crew } from "./crew.js";
import { MissingInputError, OutputValidationError } from "./errors.js";
import type { CrewEventMap } from "./events.js";
import {
  BRIEF,
  FINDING,
  PRIVATE_NOTE,
  researcherWriterCrew,
  SECRET_THOUGHT,
  writerModel,
} from "./fixtures.case.js";
import { ScriptedChatModel } from "./scripted-chat-model.js";
import { Task } from "./task.js";

let env: TempEngine;
beforeEach(async () => {
  env = await openTempEngine();
});
afterEach(async () => {
  await env.cleanup();
});

const all = async (namespace: string): Promise<Memory[]> =>
  (await env.loci.memory.list({ namespace, limit: 1000 })).items;

describe("sequential crew (researcher → writer)", () => {
  it("shares only finalized outputs, with provenance, and keeps notes private", async () => {
    const { crew, researcherLlm, writerLlm } = researcherWriterCrew(env.loci);
    const out = await crew.kickoff({ inputs: { topic: "LLM memory" } });

    expect(out.raw).toBe(BRIEF);
    expect(out.tasksOutput.map((t) => [t.name, t.agent, t.raw])).toEqual([
      ["research", "Researcher", FINDING],
      ["write", "Writer", BRIEF],
    ]);
    // interpolation reached the prompts
    expect(researcherLlm.promptText(0)).toContain("You are Researcher.");
    expect(researcherLlm.promptText(0)).toContain("Find facts about LLM memory");
    expect(researcherLlm.promptText(0)).toContain("Current task: Research LLM memory");
    expect(researcherLlm.boundTools[0]).toEqual(["remember", "recall", "add_relation"]);

    // the writer sees the shared finding (from memory: its task has no upstream context) …
    const writerPrompt = writerLlm.promptText(0);
    expect(writerPrompt).toContain("## This run");
    expect(writerPrompt).toContain(`${FINDING} (from Researcher)`);
    expect(writerPrompt).not.toContain("# Context from previous tasks");
    // … and nothing of the researcher's private notes
    expect(writerPrompt).not.toContain("PRIVATE-NOTE");
    expect(writerPrompt).not.toContain("SECRET-THOUGHT");

    // the researcher's private namespace has its note and its thoughts, in the run's session
    const priv = await all("acme-researcher");
    expect(priv.map((m) => m.content).join("\n")).toContain(PRIVATE_NOTE);
    expect(priv.map((m) => m.content).join("\n")).toContain(SECRET_THOUGHT);
    expect(priv.every((m) => m.sessionId === out.sessionId)).toBe(true);

    // shared: exactly the two finalized outputs, with provenance
    const shared = await all("acme-shared");
    expect(shared.map((m) => m.content)).toEqual([FINDING, BRIEF]);
    expect(shared[0]!.metadata).toMatchObject({
      source_agent: "Researcher",
      task: "research",
      session_id: out.sessionId,
    });
    expect(shared[1]!.metadata).toMatchObject({
      source_agent: "Writer",
      task: "write",
      session_id: out.sessionId,
    });
    expect(shared.every((m) => m.sessionId === out.sessionId)).toBe(true);

    // coordinator: assigned → started → completed per task
    const coord = await all("acme-coordinator");
    const statuses = coord.map((m) => `${m.metadata.task}:${m.metadata.status}`);
    expect(statuses).toEqual([
      "research:assigned",
      "research:started",
      "research:completed",
      "write:assigned",
      "write:started",
      "write:completed",
    ]);
    expect(coord[0]!.metadata).toMatchObject({ agent: "Researcher", session_id: out.sessionId });

    // the run's session exists in every namespace and is ended
    for (const ns of ["acme-shared", "acme-coordinator", "acme-researcher", "acme-writer"]) {
      const s = await env.loci.session.get({ namespace: ns, id: out.sessionId });
      expect(s.endedAt).not.toBeNull();
    }

    // token usage sums usage_metadata: researcher 2 calls × (10+5), writer 1 × (20+7)
    expect(out.tokenUsage).toEqual({
      inputTokens: 40,
      outputTokens: 17,
      totalTokens: 57,
      successfulRequests: 3,
    });
  });

  it("a second kickoff recalls the first run's shared finding", async () => {
    await researcherWriterCrew(env.loci).crew.kickoff({ inputs: { topic: "LLM memory" } });
    const researcherLlm = new ScriptedChatModel({
      script: ["Final Answer: FINDING-2 graph recall helps too"],
    });
    const { crew } = researcherWriterCrew(env.loci, { researcherLlm, writerLlm: writerModel() });
    const out2 = await crew.kickoff({ inputs: { topic: "LLM memory" } });
    const prompt = researcherLlm.promptText(0);
    expect(prompt).toContain("## Team findings");
    expect(prompt).toContain(`${FINDING} (from Researcher)`);
    expect(prompt).toContain("## Your notes"); // its own private note from run 1
    expect(prompt).toContain(PRIVATE_NOTE);
    expect(out2.tasksOutput[0]!.raw).toBe("FINDING-2 graph recall helps too");
  });

  it("keeps the recalled memory within the token budget", async () => {
    for (let i = 0; i < 30; i++) {
      await env.loci.memory.add({
        namespace: "acme-shared",
        content: `LLM memory fact number ${i} ${"x".repeat(200)}`,
      });
    }
    const researcherLlm = new ScriptedChatModel({ script: ["Final Answer: ok"] });
    const { crew } = researcherWriterCrew(env.loci, { researcherLlm, contextTokens: 150 });
    await crew.kickoff({ inputs: { topic: "LLM memory" } });
    const memorySection = researcherLlm.promptText(0).split("# Memory\n")[1] ?? "";
    expect(memorySection).toContain("## Team findings");
    expect(Math.ceil(memorySection.length / 4)).toBeLessThanOrEqual(150 + 5);
  });

  it("fails clearly on an unknown placeholder, before writing anything", async () => {
    const { crew } = researcherWriterCrew(env.loci);
    const err = await crew.kickoff({ inputs: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingInputError);
    expect((err as MissingInputError).message).toContain("{topic}");
    expect((await env.loci.namespace.list()).items).toEqual([]);
  });

  it("reports every step through callbacks and on()", async () => {
    const seen: string[] = [];
    const written: CrewEventMap["memoryWritten"][] = [];
    const { crew } = researcherWriterCrew(env.loci, {
      callbacks: {
        taskStarted: (e) => seen.push(`started:${e.task}`),
        taskCompleted: (e) => seen.push(`completed:${e.task}:${e.output.raw}`),
      },
    });
    crew.on("memoryWritten", (e) => written.push(e));
    await crew.kickoff({ inputs: { topic: "LLM memory" } });
    expect(seen).toEqual([
      "started:research",
      `completed:research:${FINDING}`,
      "started:write",
      `completed:write:${BRIEF}`,
    ]);
    expect(written.filter((w) => w.scope === "shared").map((w) => w.memory.content)).toEqual([
      FINDING,
      BRIEF,
    ]);
    expect(written.filter((w) => w.scope === "private").length).toBe(3); // remember tool + 2 working notes
    expect(written.filter((w) => w.scope === "coordinator").length).toBe(6);
  });
});

describe("structured output", () => {
  const schema = z.object({ title: z.string(), score: z.number().min(0).max(10) });
  const crewWith = (script: string[]) => {
    const llm = new ScriptedChatModel({ script });
    const agent = new Agent({ role: "Rater", goal: "Rate things", backstory: "Strict.", llm });
    const task = new Task({
      name: "rate",
      description: "Rate it",
      expectedOutput: "JSON",
      agent,
      outputSchema: schema,
    });
    return { llm, crew: new Crew({ agents: [agent], tasks: [task], namespace: "rate", memory: env.loci }) };
  };

  it("parses and validates JSON, retrying once with the validation error", async () => {
    const { crew, llm } = crewWith(['{"title":"x","score":42}', '```json\n{"title":"x","score":7}\n```']);
    const out = await crew.kickoff();
    expect(out.json).toEqual({ title: "x", score: 7 });
    expect(out.tasksOutput[0]!.json).toEqual({ title: "x", score: 7 });
    expect(llm.promptText(1)).toContain("did not validate");
  });

  it("throws a typed error after the retry", async () => {
    const { crew } = crewWith(["not json", '{"title":1}']);
    const err = await crew.kickoff().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputValidationError);
    const coord = await all("rate-coordinator");
    expect(coord.map((m) => m.metadata.status)).toEqual(["assigned", "started", "failed"]);
  });
});

describe("code-review crew", () => {
  it("the summary prompt contains every finding of the session", async () => {
    const mk = (role: string, answer: string) =>
      new Agent({
        role,
        goal: `Review {repo} for ${role.toLowerCase()} issues`,
        backstory: "Reviewer.",
        llm: new ScriptedChatModel({ script: [`Final Answer: ${answer}`] }),
      });
    const security = mk("Security Reviewer", "SEC-1 SQL injection in /login");
    const performance = mk("Performance Reviewer", "PERF-1 N+1 query in /orders");
    const summaryLlm = new ScriptedChatModel({ script: ["Final Answer: 2 issues: SEC-1, PERF-1"] });
    const summary = new Agent({
      role: "Summarizer",
      goal: "Summarize reviews",
      backstory: "Editor.",
      llm: summaryLlm,
    });
    const crew = new Crew({
      agents: [security, performance, summary],
      tasks: [
        new Task({
          name: "security",
          description: "Security review of {repo}",
          expectedOutput: "issues",
          agent: security,
        }),
        new Task({
          name: "performance",
          description: "Performance review of {repo}",
          expectedOutput: "issues",
          agent: performance,
        }),
        new Task({
          name: "summary",
          description: "Summarize the review of {repo}",
          expectedOutput: "summary",
          agent: summary,
          context: [],
        }),
      ],
      namespace: "review",
      memory: env.loci,
    });
    const out = await crew.kickoff({ inputs: { repo: "shop-api" } });
    const prompt = summaryLlm.promptText(0);
    expect(prompt).toContain("SEC-1 SQL injection in /login (from Security Reviewer)");
    expect(prompt).toContain("PERF-1 N+1 query in /orders (from Performance Reviewer)");
    expect(out.raw).toBe("2 issues: SEC-1, PERF-1");
    const ns = (await env.loci.namespace.list()).items.map((n) => n.name).sort();
    expect(ns).toEqual([
      "review-coordinator",
      "review-performance-reviewer",
      "review-security-reviewer",
      "review-shared",
      "review-summarizer",
    ]);
  });
});

describe("resetMemories", () => {
  it("forgets one run, then one scope, then everything, by the namespaces' own clients", async () => {
    const first = await researcherWriterCrew(env.loci).crew.kickoff({ inputs: { topic: "LLM memory" } });
    const second = await researcherWriterCrew(env.loci).crew.kickoff({ inputs: { topic: "LLM memory" } });
    const { crew } = researcherWriterCrew(env.loci);
    const { shared, coordinator } = crew.namespaces;
    const researcher = crew.namespaces.privateOf("Researcher");
    const runOf = async (ns: string) => new Set((await all(ns)).map((m) => m.sessionId));
    expect(await runOf(shared)).toEqual(new Set([first.sessionId, second.sessionId]));

    const forgotten = await crew.resetMemories({ runId: first.sessionId });
    expect(forgotten[shared]).toBeGreaterThan(0);
    expect(forgotten[coordinator]).toBeGreaterThan(0);
    for (const ns of [shared, coordinator, researcher]) {
      expect(await runOf(ns), ns).not.toContain(first.sessionId);
    }
    expect(await runOf(shared)).toEqual(new Set([second.sessionId]));

    const privateOnly = await crew.resetMemories({ scope: "private" });
    expect(Object.keys(privateOnly).sort()).toEqual([researcher, crew.namespaces.privateOf("Writer")].sort());
    expect(await all(researcher)).toEqual([]);
    expect((await all(shared)).length).toBeGreaterThan(0);

    const rest = await crew.resetMemories();
    expect(rest[shared]).toBeGreaterThan(0);
    for (const ns of [shared, coordinator, researcher]) expect(await all(ns)).toEqual([]);
    // A crew that never ran: nothing to forget, no error.
    const fresh = researcherWriterCrew(env.loci, { namespace: "never-ran" }).crew;
    expect(Object.values(await fresh.resetMemories())).toEqual([0, 0, 0, 0]);
    await expect(crew.resetMemories({ scope: "bogus" as never })).rejects.toMatchObject({
      code: "INVALID_CONFIG",
    });
  });
});
