/** An open event stream ends once its key is revoked: a revoked key reads nothing more. */
import { LociClient } from "@loci/client";
import type { LociError, LociEvent } from "@loci/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../testing/test-server.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.stop());

const waitFor = async (done: () => boolean, ms = 5_000) => {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
};

describe("event streams and revoked keys", () => {
  it("stops delivering events to a key revoked while its stream is open", async () => {
    await t.root.namespace.create({ name: "ev-revoke" });
    const key = await t.createKey({ scopes: [{ namespaces: ["ev-*"], permissions: ["read"] }] });
    const errors: LociError[] = [];
    const reader = new LociClient({
      baseUrl: t.url,
      apiKey: key,
      events: { reconnectDelayMs: 10, onError: (e) => void errors.push(e) },
    });
    const got: LociEvent[] = [];
    const sub = await reader.events.subscribe({ namespace: "ev-revoke" }, (e) => void got.push(e));
    try {
      await t.root.memory.add({ namespace: "ev-revoke", content: "before revocation" });
      await waitFor(() => got.length === 1);
      expect(got).toHaveLength(1);

      const revoked = await t.fetch(`/v1/keys/${key.split("_")[1]}`, { method: "DELETE" });
      expect(revoked.status).toBe(200);
      await new Promise((r) => setTimeout(r, 1_200)); // past the stream's key re-check interval
      await t.root.memory.add({ namespace: "ev-revoke", content: "after revocation" });
      await waitFor(() => errors.length > 0);
      expect(errors.map((e) => e.code)).toEqual(["UNAUTHENTICATED"]);
      expect(got.map((e) => e.data)).toHaveLength(1);
    } finally {
      sub.unsubscribe();
    }
  });
});
