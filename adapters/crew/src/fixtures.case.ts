/**
 * Shared test fixtures: the researcher → writer crew with scripted models.
 *
 * @module
 */
import { AIMessage } from "@langchain/core/messages";
import type { MemoryClient } from "@loci/engine";
import { Agent } from "./agent.js";
import { Crew, type CrewConfig } from "./crew.js";
import { ScriptedChatModel } from "./scripted-chat-model.js";
import { Task } from "./task.js";

export const PRIVATE_NOTE = "PRIVATE-NOTE the vendor blog looks unreliable";
export const SECRET_THOUGHT = "SECRET-THOUGHT double-check the benchmark later";
export const FINDING = "FINDING hybrid search lifts LLM memory recall by twelve percent";
export const BRIEF = "BRIEF teams of agents need namespaced LLM memory";

/** A researcher that stores a private note through `remember`, thinks privately, then answers. */
export function researcherModel(finding = FINDING): ScriptedChatModel {
  return new ScriptedChatModel({
    usage: { input_tokens: 10, output_tokens: 5 },
    script: [
      new AIMessage({
        content: "Let me keep a private note first.",
        tool_calls: [{ name: "remember", args: { content: PRIVATE_NOTE }, id: "call-1", type: "tool_call" }],
      }),
      `Thought: ${SECRET_THOUGHT}\nFinal Answer: ${finding}`,
    ],
  });
}

/** A writer that answers once. */
export function writerModel(): ScriptedChatModel {
  return new ScriptedChatModel({
    usage: { input_tokens: 20, output_tokens: 7 },
    script: [`Final Answer: ${BRIEF}`],
  });
}

/** The researcher → writer crew. */
export function researcherWriterCrew(
  memory: MemoryClient,
  opts: Partial<CrewConfig> & { researcherLlm?: ScriptedChatModel; writerLlm?: ScriptedChatModel } = {},
) {
  const researcherLlm = opts.researcherLlm ?? researcherModel();
  const writerLlm = opts.writerLlm ?? writerModel();
  const researcher = new Agent({
    role: "Researcher",
    goal: "Find facts about {topic}",
    backstory: "A careful analyst.",
    llm: researcherLlm,
  });
  const writer = new Agent({
    role: "Writer",
    goal: "Write a brief about {topic}",
    backstory: "A concise writer.",
    llm: writerLlm,
  });
  const research = new Task({
    name: "research",
    description: "Research {topic}",
    expectedOutput: "One key finding",
    agent: researcher,
  });
  const write = new Task({
    name: "write",
    description: "Write a brief on {topic} for the team",
    expectedOutput: "One paragraph",
    agent: writer,
    context: [],
  });
  const crew = new Crew({
    agents: [researcher, writer],
    tasks: [research, write],
    namespace: "acme",
    memory,
    ...opts,
  });
  return { crew, researcher, writer, research, write, researcherLlm, writerLlm };
}
