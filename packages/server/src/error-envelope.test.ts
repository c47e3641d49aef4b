/**
 * The error envelope on inputs found by probing the running server: header names in `details.field`,
 * empty bodies on routes whose body is optional, and malformed graph imports.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./testing/test-server.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.stop());

type ErrorBody = { error: { code: string; message: string; details?: { field?: string } } };

describe("error envelope", () => {
  it("names a bad header by its own name, not a snake_cased one", async () => {
    const bad = await t.fetch("/v1/namespaces/env/memories", {
      method: "POST",
      body: JSON.stringify({ content: "x" }),
      headers: { "idempotency-key": "has space" },
    });
    expect(bad.status).toBe(400);
    const b = (await bad.json()) as ErrorBody;
    expect(b.error.details?.field).toBe("Idempotency-Key");
    expect(b.error.message).toMatch(/^Idempotency-Key must be/);

    const send = (content: string) =>
      t.fetch("/v1/namespaces/env/memories", {
        method: "POST",
        body: JSON.stringify({ content }),
        headers: { "idempotency-key": "k-env-1" },
      });
    expect((await send("first")).status).toBe(201);
    const conflict = await send("second");
    expect(conflict.status).toBe(409);
    expect(((await conflict.json()) as ErrorBody).error.details?.field).toBe("Idempotency-Key");

    const events = await t.fetch("/v1/namespaces/env/events", { headers: { "last-event-id": "abc" } });
    expect(events.status).toBe(400);
    const e = (await events.json()) as ErrorBody;
    expect(e.error.details?.field).toBe("Last-Event-ID");
    expect(e.error.message).toMatch(/^Last-Event-ID must be/);
  });

  it("creates a session from a POST with an empty body (its body is optional)", async () => {
    await t.root.namespace.create({ name: "env-sessions" });
    const path = "/v1/namespaces/env-sessions/sessions";
    // fetch sends `Content-Length: 0` for a body-less POST; curl -d '' does too.
    const bare = await t.fetch(path, { method: "POST" });
    expect(bare.status).toBe(201);
    const typed = await t.fetch(path, {
      method: "POST",
      body: "",
      headers: { "content-type": "application/json" },
    });
    expect(typed.status).toBe(201);
    expect(((await typed.json()) as { metadata: unknown }).metadata).toEqual({});
    // A route whose body is required still says so, as a JSON error.
    const add = await t.fetch("/v1/namespaces/env-sessions/memories", { method: "POST" });
    expect(add.status).toBe(400);
    expect(((await add.json()) as ErrorBody).error.code).toBe("INVALID_ARGUMENT");
  });

  it("answers a graph import with null or non-object items with 400, not 500", async () => {
    for (const data of [
      { version: 1, entities: [null], edges: [] },
      { version: 1, entities: [], edges: [null] },
      { version: 1, entities: ["person"], edges: [7] },
    ]) {
      const res = await t.fetch("/v1/namespaces/env/graph/import", {
        method: "POST",
        body: JSON.stringify({ data }),
      });
      expect(res.status, JSON.stringify(data)).toBe(400);
      const b = (await res.json()) as ErrorBody;
      expect(b.error.code).toBe("INVALID_ARGUMENT");
      expect(b.error.details?.field).toMatch(/^data\.(entities|edges)\[0\]$/);
    }
  });
});
