/**
 * Memory tools an agent's model may call: `remember`, `recall` and `add_relation`. They act through
 * the agent's own client, on its private namespace and the shared one only.
 *
 * @module
 */
import { type StructuredToolInterface, tool } from "@langchain/core/tools";
import { z } from "zod";
import { type AgentMemoryView, writeMemory } from "./memory-wiring.js";
import { slugify } from "./namespaces.js";

const entity = z.object({
  name: z.string().min(1).max(256).describe("Entity name, e.g. 'Acme Corp'"),
  type: z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/)
    .max(64)
    .default("concept")
    .describe("Entity type, e.g. 'company'"),
});

/** Builds the three memory tools of one agent for one task. */
export function createMemoryTools(view: AgentMemoryView, task: string): StructuredToolInterface[] {
  const remember = tool(
    async ({ content, scope }) => {
      const shared = scope === "shared";
      const m = await writeMemory(view, shared ? "shared" : "private", {
        namespace: shared ? view.sharedNamespace : view.privateNamespace,
        content,
        metadata: shared
          ? { kind: "finding", source_agent: view.role, task, session_id: view.sessionId }
          : { kind: "working_note", task, session_id: view.sessionId },
        sessionId: view.sessionId,
        agentId: view.role,
      });
      return `remembered (${shared ? "shared" : "private"}, id ${m.id})`;
    },
    {
      name: "remember",
      description:
        "Store a note. scope 'private' (default) keeps it in your own notes; 'shared' publishes it to the team.",
      schema: z.object({
        content: z.string().min(1).describe("The note to store"),
        scope: z.enum(["private", "shared"]).default("private"),
      }),
    },
  );

  const recall = tool(
    async ({ query, limit }) => {
      const hits = await view.client.memory.search({
        namespaces: [view.privateNamespace, view.sharedNamespace],
        query,
        limit,
      });
      if (hits.length === 0) return "nothing found";
      return hits
        .map((h) => `- [${h.namespace === view.privateNamespace ? "yours" : "team"}] ${h.memory.content}`)
        .join("\n");
    },
    {
      name: "recall",
      description: "Search your own notes and the team's shared findings.",
      schema: z.object({
        query: z.string().min(1),
        limit: z.number().int().min(1).max(20).default(5),
      }),
    },
  );

  const addRelation = tool(
    async ({ source, relation, target }) => {
      const edgeType =
        slugify(relation)
          .replace(/-/g, "_")
          .replace(/^[^a-z]+/, "") || "relates_to";
      await view.client.knowledgeGraph.addEdge({
        namespace: view.sharedNamespace,
        source,
        target,
        edgeType,
        metadata: { source_agent: view.role, task, session_id: view.sessionId },
      });
      return `recorded ${source.name} -${edgeType}-> ${target.name}`;
    },
    {
      name: "add_relation",
      description: "Record a relationship between two entities in the team's knowledge graph.",
      schema: z.object({ source: entity, relation: z.string().min(1).max(64), target: entity }),
    },
  );

  return [remember, recall, addRelation];
}
