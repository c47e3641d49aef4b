/**
 * The context builder: before each task, recalls from the agent's private namespace, the shared
 * namespace (earlier runs) and the current run's session, within a token budget, in labelled
 * sections. It never reads another agent's private namespace.
 *
 * @module
 */
import type { Memory } from "@loci/engine";
import type { AgentMemoryView } from "./memory-wiring.js";

/** Options of {@link buildTaskContext}. */
export interface ContextOptions {
  /** What to recall for (the task description). */
  query: string;
  /** Approximate token budget (tokens ≈ chars / 4). @default 1500 */
  contextTokens?: number;
  /** Hits per searched section. @default 5 */
  limit?: number;
}

/** Approximate token count of a text (chars / 4, rounded up). */
export function approxTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

const SECTIONS = {
  run: "## This run",
  notes: "## Your notes",
  team: "## Team findings",
} as const;

function line(m: Memory): string {
  const src = typeof m.metadata.source_agent === "string" ? ` (from ${m.metadata.source_agent})` : "";
  return `- ${m.content.replace(/\s+/g, " ").trim()}${src}`;
}

/**
 * Builds the memory context of a task. Fill priority: this run's shared outputs (in order), then the
 * agent's own notes, then team findings of earlier runs; a line that does not fit the remaining budget
 * is skipped. Returns `""` when nothing was recalled.
 */
export async function buildTaskContext(view: AgentMemoryView, opts: ContextOptions): Promise<string> {
  const limit = opts.limit ?? 5;
  let budget = opts.contextTokens ?? 1500;
  const { client, sessionId } = view;

  const [run, notes, team] = await Promise.all([
    client.memory.list({ namespace: view.sharedNamespace, sessionId, limit: 100 }).then((p) => p.items),
    client.memory
      .search({ namespace: view.privateNamespace, query: opts.query, limit })
      .then((r) => r.map((h) => h.memory)),
    client.memory
      .search({
        namespace: view.sharedNamespace,
        query: opts.query,
        limit,
        metadataFilter: { session_id: { $ne: sessionId } },
      })
      .then((r) => r.map((h) => h.memory)),
  ]);

  const picked: Record<keyof typeof SECTIONS, string[]> = { run: [], notes: [], team: [] };
  const seen = new Set<string>();
  for (const [key, memories] of [
    ["run", run],
    ["notes", notes],
    ["team", team],
  ] as const) {
    for (const m of memories) {
      if (seen.has(m.id)) continue;
      const text = line(m);
      const cost = approxTokens(text) + (picked[key].length === 0 ? approxTokens(SECTIONS[key]) : 0);
      if (cost > budget) continue;
      budget -= cost;
      seen.add(m.id);
      picked[key].push(text);
    }
  }
  return (["notes", "team", "run"] as const)
    .filter((k) => picked[k].length > 0)
    .map((k) => `${SECTIONS[k]}\n${picked[k].join("\n")}`)
    .join("\n\n");
}
