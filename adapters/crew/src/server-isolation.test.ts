import { LociError } from "@loci/engine";
import { startTestServer, type TestServer } from "@loci/server/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Crew } from "./crew.js";
import { BRIEF, FINDING, PRIVATE_NOTE, researcherWriterCrew, SECRET_THOUGHT } from "./fixtures.case.js";
import { agentScopes } from "./server-isolation.js";

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await server.stop();
});

async function status(p: Promise<unknown>): Promise<number | "ok"> {
  try {
    await p;
    return "ok";
  } catch (err) {
    if (LociError.isInstance(err)) return err.status;
    throw err;
  }
}

describe("researcher → writer against a real server with per-agent keys", () => {
  it("runs the crew with scoped clients and the server refuses cross-agent reads (403)", async () => {
    const adminKey = await server.createKey({ name: "crew-admin", admin: true });
    const {
      crew: template,
      researcher,
      writer,
      research,
      write,
      writerLlm,
    } = researcherWriterCrew(server.root);
    const crew = await Crew.withServer({
      agents: [researcher, writer],
      tasks: [research, write],
      namespace: "acme",
      adminKey,
      connect: (key) => server.client(key),
    });
    try {
      expect(template.namespaces.shared).toBe("acme-shared");
      const out = await crew.kickoff({ inputs: { topic: "LLM memory" } });
      expect(out.tasksOutput.map((t) => t.raw)).toEqual([FINDING, BRIEF]);

      const writerPrompt = writerLlm.promptText(0);
      expect(writerPrompt).toContain(`${FINDING} (from Researcher)`);
      expect(writerPrompt).not.toContain("PRIVATE-NOTE");
      expect(writerPrompt).not.toContain("SECRET-THOUGHT");

      const writerClient = crew.memoryFor("Writer");
      const researcherClient = crew.memoryFor("Researcher");
      expect(writerClient).not.toBe(researcherClient);
      expect(writerClient).not.toBe(crew.memory);

      // the writer's key cannot read the researcher's private namespace: list, search, get
      expect(await status(writerClient.memory.list({ namespace: "acme-researcher" }))).toBe(403);
      expect(await status(writerClient.memory.search({ namespace: "acme-researcher", query: "blog" }))).toBe(
        403,
      );
      expect(
        await status(
          writerClient.memory.search({ namespaces: ["acme-shared", "acme-researcher"], query: "blog" }),
        ),
      ).toBe(403);
      // nor write the coordinator log; it may read it and the shared namespace
      expect(
        await status(
          writerClient.memory.add({ namespace: "acme-coordinator", content: "forged: completed" }),
        ),
      ).toBe(403);
      expect(await status(writerClient.memory.list({ namespace: "acme-coordinator" }))).toBe("ok");
      expect(await status(writerClient.memory.list({ namespace: "acme-shared" }))).toBe("ok");

      // the researcher can read its own notes, which hold the private text
      const priv = await researcherClient.memory.list({ namespace: "acme-researcher" });
      const text = priv.items.map((m) => m.content).join("\n");
      expect(text).toContain(PRIVATE_NOTE);
      expect(text).toContain(SECRET_THOUGHT);

      // provenance and coordinator records, seen through the admin client
      const shared = await crew.memory.memory.list({ namespace: "acme-shared" });
      expect(shared.items.map((m) => m.metadata.source_agent)).toEqual(["Researcher", "Writer"]);
      expect(shared.items[0]!.metadata).toMatchObject({ task: "research", session_id: out.sessionId });
      const coord = await crew.memory.memory.list({ namespace: "acme-coordinator" });
      expect(coord.items.map((m) => m.metadata.status)).toEqual([
        "assigned",
        "started",
        "completed",
        "assigned",
        "started",
        "completed",
      ]);

      // the keys carry exactly the documented scopes
      const keys = await server.fetch("/v1/keys");
      const list = (await keys.json()) as { items: { name: string; scopes: unknown }[] };
      const writerKey = list.items.find((k) => k.name === "crew-acme-writer");
      expect(writerKey?.scopes).toEqual(agentScopes(crew.namespaces, "Writer"));
    } finally {
      await crew.close();
    }
  });
});
