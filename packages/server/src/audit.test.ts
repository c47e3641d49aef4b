import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./testing/test-server.js";

let t: TestServer;
beforeAll(async () => {
  // One token per 10 s after a burst of 20: no refill can happen during the test, however slow the machine.
  t = await startTestServer({ rateLimit: { perSecond: 0.1, burst: 20 } });
});
afterAll(async () => t.stop());

describe("rate limits and the audit log", () => {
  it("answers 429 with Retry-After past a key's burst, without affecting other keys", async () => {
    const key = await t.createKey({ name: "loop", scopes: [{ namespaces: ["*"], permissions: ["read"] }] });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 23; i++) {
      const res = await t.fetch("/v1/namespaces", { key });
      statuses.push(res.status);
      if (res.status === 429) {
        retryAfter = res.headers.get("retry-after");
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("RATE_LIMITED");
      }
    }
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(200));
    expect(statuses.slice(20)).toEqual([429, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    const other = await t.createKey({
      name: "other",
      scopes: [{ namespaces: ["*"], permissions: ["read"] }],
    });
    expect((await t.fetch("/v1/namespaces", { key: other })).status).toBe(200);
  });

  it("records key operations and denied requests; admins see their tenant's log, scoped keys none", async () => {
    const scoped = await t.createKey({
      name: "reader",
      scopes: [{ namespaces: ["a"], permissions: ["read"] }],
    });
    expect((await t.fetch("/v1/namespaces/b", { key: scoped })).status).toBe(403);
    expect((await t.fetch("/v1/namespaces", { key: "wrong" })).status).toBe(401);
    const res = await t.fetch("/v1/audit?limit=50");
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as {
      items: { action: string; target: string; outcome: string; detail: string; key_id: string | null }[];
    };
    expect(items.some((e) => e.action === "key.created" && e.outcome === "ok")).toBe(true);
    expect(
      items.some(
        (e) => e.action === "request.denied" && e.target === "GET /v1/namespaces/b" && e.detail === "403",
      ),
    ).toBe(true);
    expect(items.some((e) => e.action === "request.denied" && e.detail === "401" && e.key_id === null)).toBe(
      true,
    );
    expect(items.some((e) => e.detail === "429")).toBe(true);
    expect((await t.fetch("/v1/audit", { key: scoped })).status).toBe(403);
    const denied = (await (await t.fetch("/v1/audit?outcome=denied&limit=2")).json()) as {
      items: unknown[];
      next_cursor: string;
    };
    expect(denied.items).toHaveLength(2);
    const older = (await (
      await t.fetch(`/v1/audit?outcome=denied&limit=2&cursor=${denied.next_cursor}`)
    ).json()) as { items: { seq: number }[] };
    expect(older.items.every((e) => e.seq < Number(denied.next_cursor))).toBe(true);
  });
});
