import { LociClient } from "@loci/client";
import { LociError } from "@loci/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./testing/test-server.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

const post = (path: string, body: unknown) => t.fetch(path, { method: "POST", body: JSON.stringify(body) });

describe("refuse_removed_ids", () => {
  it("refuses ids removed before, in single adds and batches, and writes nothing (raw HTTP)", async () => {
    expect((await post("/v1/namespaces/rr/memories", { id: "gone", content: "soon deleted" })).status).toBe(
      201,
    );
    expect((await t.fetch("/v1/namespaces/rr/memories/gone", { method: "DELETE" })).status).toBe(204);

    const single = await post("/v1/namespaces/rr/memories", {
      id: "gone",
      content: "back?",
      refuse_removed_ids: true,
    });
    expect(single.status).toBe(409);
    const { error } = (await single.json()) as { error: { code: string; details: { removed: unknown[] } } };
    expect(error.code).toBe("MEMORY_REMOVED");
    expect(error.details.removed).toEqual([{ id: "gone", reason: "deleted", at: expect.any(String) }]);

    const batch = await post("/v1/namespaces/rr/memories/batch", {
      memories: [
        { id: "new", content: "new" },
        { id: "gone", content: "back?" },
      ],
      refuse_removed_ids: true,
    });
    expect(batch.status).toBe(409);
    const list = (await (await t.fetch("/v1/namespaces/rr/memories")).json()) as { items: unknown[] };
    expect(list.items).toHaveLength(0);

    // Not a boolean: 400 naming the field, nothing written.
    const bad = await post("/v1/namespaces/rr/memories", { content: "x", refuse_removed_ids: "yes" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { details: { field: string } } }).error.details.field).toBe(
      "refuse_removed_ids",
    );
    // dedupe over raw HTTP: a repeat answers with the stored memory; not a boolean is a 400.
    const first = (await (
      await post("/v1/namespaces/rr/memories", { content: "Acme renews in Q2" })
    ).json()) as {
      id: string;
    };
    const again = await post("/v1/namespaces/rr/memories/batch", {
      memories: [{ content: "Acme renews  in Q2 " }],
      dedupe: true,
    });
    expect(((await again.json()) as { items: { id: string }[] }).items[0]!.id).toBe(first.id);
    expect((await post("/v1/namespaces/rr/memories", { content: "same", dedupe: "yes" })).status).toBe(400);
    // Without it the id is free again.
    expect((await post("/v1/namespaces/rr/memories", { id: "gone", content: "back" })).status).toBe(201);
  });

  it("LociClient passes refuseRemovedIds and gets the engine's error back", async () => {
    const client = new LociClient({ baseUrl: t.url, apiKey: t.rootKey });
    await client.memory.add({ namespace: "rc", id: "x", content: "one" });
    await client.memory.delete({ namespace: "rc", id: "x" });
    const err = await client.memory
      .addMany({ namespace: "rc", memories: [{ id: "x", content: "again" }], refuseRemovedIds: true })
      .catch((e: unknown) => e);
    expect(LociError.isInstance(err) && err.code).toBe("MEMORY_REMOVED");
    expect((err as LociError).details).toMatchObject({ removed: [{ id: "x", reason: "deleted" }] });
    await expect(
      client.memory.add({ namespace: "rc", id: "x", content: "again", refuseRemovedIds: true }),
    ).rejects.toMatchObject({ code: "MEMORY_REMOVED" });
    expect(
      (await client.memory.add({ namespace: "rc", id: "y", content: "new", refuseRemovedIds: true })).id,
    ).toBe("y");
  });
});
