/**
 * Isolation enforced by a real Loci server. The server that `pnpm loci serve` runs is started
 * in-process (`startServer`: 127.0.0.1, any free port, data in the example's directory). An admin with
 * the root key creates the namespaces and one scoped API key per agent; the researcher writes private
 * notes and shared findings with its key; the writer, with its own key, reads the shared findings but
 * is refused the researcher's notes (403 `FORBIDDEN`, a typed error).
 *
 * Run: `pnpm example research-writer-scoped-keys`
 *
 * No LLM is involved: the agents' reading and writing are plain `LociClient` calls, exactly what an
 * agent framework would do with the client you hand it (`@loci/crew`'s `Crew.withServer` mints such keys
 * for you). Against a server you run yourself (`pnpm loci serve`), drop `startServer` and point
 * `LociClient` at its URL with the root key it printed at first start.
 *
 * @module
 */
import { LociClient } from "@loci/client";
import { LociError, UseLiteEmbedder } from "@loci/engine";
import { type RunningServer, startServer } from "@loci/server";
import type { Example } from "./context.js";

/** The researcher's private notes; the test checks the writer never sees them. */
export const PRIVATE_NOTES = [
  "Vendor benchmark from Acme's blog looks cherry-picked; do not quote it.",
  "Interview with Dana (ops lead) is off the record until legal signs off.",
];

/** Findings the researcher shares with the team. */
const FINDINGS = [
  {
    content: "Agents with shared long-term memory resolved 31% more tickets without escalation in the pilot.",
    source: "pilot-report-2025-q1.pdf",
  },
  {
    content: "Keeping each agent's scratch notes private cut contradictory answers to customers in half.",
    source: "support-qa-review.xlsx",
  },
];

/** A scope of `POST /v1/keys`. */
interface KeyScope {
  namespaces: string[];
  permissions: ("read" | "write")[];
}

/** What a refused request looked like to the caller. */
export interface Refusal {
  status: number;
  code: string;
  error: string;
}

/** What the example returns (asserted by its test). */
export interface ScopedKeysResult {
  /** The shared findings the writer found with its own key, with their provenance. */
  writerRead: { content: string; sourceAgent: string; source: string }[];
  /** The writer's draft, stored in its own namespace. */
  draft: string;
  /** The writer listing the researcher's private namespace. */
  readRefused: Refusal;
  /** The writer writing to the shared namespace, which its key may only read. */
  writeRefused: Refusal;
  /** How many private notes the researcher itself still reads back. */
  researcherNoteCount: number;
}

/** Runs `p` and returns how the server refused it (throws if it was not refused). */
async function refusal(p: Promise<unknown>): Promise<Refusal> {
  try {
    await p;
  } catch (err) {
    if (!LociError.isInstance(err)) throw err;
    return { status: err.status, code: err.code, error: err.constructor.name };
  }
  throw new Error("expected the server to refuse the request");
}

/** Starts the server quietly: the request log is set to warnings unless LOCI_LOG_LEVEL says otherwise. */
async function startQuietServer(dataDir: string, onRootKey: (key: string) => void): Promise<RunningServer> {
  const level = process.env.LOCI_LOG_LEVEL;
  process.env.LOCI_LOG_LEVEL = level ?? "warn";
  try {
    return await startServer({
      dataDir,
      host: "127.0.0.1",
      port: 0,
      embedder: new UseLiteEmbedder(),
      onRootKey,
    });
  } finally {
    if (level === undefined) delete process.env.LOCI_LOG_LEVEL;
  }
}

/** The example. */
export const example: Example<ScopedKeysResult> = {
  description: "Researcher and writer with scoped API keys against a real local server: 403 on private notes",
  async run({ dataDir, log }) {
    let generatedRootKey: string | undefined;
    const server = await startQuietServer(dataDir, (key) => {
      generatedRootKey = key;
    });
    const clients: LociClient[] = [];
    const connect = (apiKey: string) => {
      const client = new LociClient({ baseUrl: server.url, apiKey });
      clients.push(client);
      return client;
    };
    try {
      // A fresh data directory: the server generated the root key and handed it over once.
      const rootKey = generatedRootKey ?? process.env.LOCI_ROOT_KEY;
      if (!rootKey)
        throw new Error("no root key: the data directory was not fresh and LOCI_ROOT_KEY is unset");
      log(
        `Loci server listening on ${server.url} (root key generated at first start: ${rootKey.slice(0, 14)}…)`,
      );

      // The admin creates the namespaces and one key per agent.
      const admin = connect(rootKey);
      const ns = { notes: "researcher-notes", shared: "team-findings", drafts: "writer-drafts" };
      await admin.namespace.create({ name: ns.notes, description: "The researcher's private notes" });
      await admin.namespace.create({ name: ns.shared, description: "Findings shared with the team" });
      await admin.namespace.create({ name: ns.drafts, description: "The writer's drafts" });
      const createKey = async (name: string, scopes: KeyScope[]) => {
        const { body } = await admin.http.request<{ id: string; key: string }>({
          method: "POST",
          path: "/v1/keys",
          body: { name, scopes },
          safe: false,
        });
        log(
          `  key "${name}" (${body.id}): ${scopes.map((s) => `${s.permissions.join("+")} on ${s.namespaces.join(", ")}`).join("; ")}`,
        );
        return body.key;
      };
      log("Admin created 3 namespaces and the agents' scoped keys:");
      const researcher = connect(
        await createKey("researcher", [
          { namespaces: [ns.notes, ns.shared], permissions: ["read", "write"] },
        ]),
      );
      const writer = connect(
        await createKey("writer", [
          { namespaces: [ns.drafts], permissions: ["read", "write"] },
          { namespaces: [ns.shared], permissions: ["read"] },
        ]),
      );

      // The researcher works with its own key.
      await researcher.memory.addMany({
        namespace: ns.notes,
        memories: PRIVATE_NOTES.map((content) => ({ content, agentId: "researcher" })),
      });
      await researcher.memory.addMany({
        namespace: ns.shared,
        memories: FINDINGS.map((f) => ({
          content: f.content,
          agentId: "researcher",
          metadata: { source_agent: "researcher", source: f.source },
        })),
      });
      log(`Researcher stored ${PRIVATE_NOTES.length} private notes and shared ${FINDINGS.length} findings.`);

      // The writer reads the team's findings with its own key and drafts from them.
      const hits = await writer.memory.search({
        namespace: ns.shared,
        query: "what did memory change for support agents?",
      });
      const writerRead = hits.map((h) => ({
        content: h.memory.content,
        sourceAgent: String(h.memory.metadata.source_agent),
        source: String(h.memory.metadata.source),
      }));
      log(`Writer searched "${ns.shared}" and found ${writerRead.length} findings:`);
      for (const f of writerRead) log(`  - ${f.content} (from ${f.sourceAgent}, ${f.source})`);
      const draft = `Why shared memory pays off. ${writerRead.map((f) => f.content).join(" ")}`;
      await writer.memory.add({ namespace: ns.drafts, content: draft, agentId: "writer" });
      log(`Writer saved a draft to "${ns.drafts}": ${draft}`);

      // The server, not a filter, keeps the researcher's notes away from the writer.
      const readRefused = await refusal(writer.memory.list({ namespace: ns.notes }));
      log(`Writer lists "${ns.notes}" → ${readRefused.status} ${readRefused.code} (${readRefused.error})`);
      const writeRefused = await refusal(
        writer.memory.add({ namespace: ns.shared, content: "Forged finding", agentId: "writer" }),
      );
      log(`Writer adds to "${ns.shared}" (read-only for it) → ${writeRefused.status} ${writeRefused.code}`);
      const own = await researcher.memory.list({ namespace: ns.notes });
      log(`Researcher still reads its own ${own.items.length} notes; the writer saw none of them.`);

      return { writerRead, draft, readRefused, writeRefused, researcherNoteCount: own.items.length };
    } finally {
      await Promise.allSettled(clients.map((c) => c.close()));
      await server.close();
      log("Server stopped.");
    }
  },
};
