import { LociClient } from "@loci/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { derivedId } from "./idempotency.js";
import { startTestServer, type TestServer } from "./testing/test-server.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

const post = (path: string, body: unknown, key?: string) =>
  t.fetch(path, {
    method: "POST",
    body: JSON.stringify(body),
    ...(key === undefined ? {} : { headers: { "idempotency-key": key } }),
  });

const count = async (ns: string) =>
  ((await (await t.fetch(`/v1/namespaces/${ns}/memories?limit=1000`)).json()) as { items: unknown[] }).items
    .length;

describe("Idempotency-Key", () => {
  it("applies a keyed add once and replays the stored memory to a retry", async () => {
    const first = await post(
      "/v1/namespaces/idem/memories",
      { content: "once only", metadata: { a: 1 } },
      "k1",
    );
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const created = (await first.json()) as { id: string };
    expect(created.id).toBe(derivedId({ tenant: "default", namespace: "idem", kind: "memory", key: "k1" }));
    const again = await post(
      "/v1/namespaces/idem/memories",
      { metadata: { a: 1 }, content: "once only" },
      "k1",
    );
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(((await again.json()) as { id: string }).id).toBe(created.id);
    expect(await count("idem")).toBe(1);
  });

  it("refuses a key reused for a different body with 409 IDEMPOTENCY_CONFLICT", async () => {
    expect((await post("/v1/namespaces/idem2/memories", { content: "first body" }, "k2")).status).toBe(201);
    const reused = await post("/v1/namespaces/idem2/memories", { content: "another body" }, "k2");
    expect(reused.status).toBe(409);
    expect(((await reused.json()) as { error: { code: string } }).error.code).toBe("IDEMPOTENCY_CONFLICT");
    // The same key in another namespace is another write.
    expect((await post("/v1/namespaces/idem3/memories", { content: "another body" }, "k2")).status).toBe(201);
    expect(await count("idem2")).toBe(1);
  });

  it("tells a retry of an add whose memory has expired since that it was applied, and writes nothing", async () => {
    const expiresAt = new Date(Date.now() + 300).toISOString();
    const body = { content: "short-lived", expires_at: expiresAt };
    expect((await post("/v1/namespaces/idem-exp/memories", body, "k-exp")).status).toBe(201);
    await new Promise((r) => setTimeout(r, 400));
    const retry = await post("/v1/namespaces/idem-exp/memories", body, "k-exp");
    expect(retry.status).toBe(409);
    const { error } = (await retry.json()) as {
      error: { code: string; message: string; details: { reason?: string } };
    };
    expect(error.code).toBe("IDEMPOTENCY_CONFLICT");
    expect(error.details.reason).toBe("expired");
    expect(error.message).toMatch(/already applied; it has since expired, and nothing was written/);
    // Another body under the key cannot be told apart any more (nothing is left to compare with).
    const other = await post("/v1/namespaces/idem-exp/memories", { content: "another" }, "k-exp");
    expect(other.status).toBe(409);
    expect(await count("idem-exp")).toBe(0);
  });

  it("refuses a retry of a write whose memory was deleted or evicted since, and adds nothing back", async () => {
    const first = await post("/v1/namespaces/idem-del/memories", { content: "gone soon" }, "k-del");
    expect(first.status).toBe(201);
    const { id } = (await first.json()) as { id: string };
    expect((await t.fetch(`/v1/namespaces/idem-del/memories/${id}`, { method: "DELETE" })).status).toBe(204);
    const retry = await post("/v1/namespaces/idem-del/memories", { content: "gone soon" }, "k-del");
    expect(retry.status).toBe(409);
    const { error } = (await retry.json()) as {
      error: { code: string; message: string; details: { reason?: string } };
    };
    expect(error).toMatchObject({ code: "IDEMPOTENCY_CONFLICT", details: { reason: "deleted" } });
    expect(error.message).toMatch(/already applied; it has since been deleted/);
    expect(await count("idem-del")).toBe(0);
    // Reading the id says how it went.
    const gone = await t.fetch(`/v1/namespaces/idem-del/memories/${id}`);
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { error: { details: unknown } }).error.details).toMatchObject({
      removed: { reason: "deleted" },
    });

    // A keyed batch one of whose memories was evicted by `maxMemories` since.
    await t.fetch("/v1/namespaces", {
      method: "POST",
      body: JSON.stringify({ name: "idem-evict", config: { max_memories: 2 } }),
    });
    const batch = { memories: [{ content: "e one" }, { content: "e two" }] };
    expect((await post("/v1/namespaces/idem-evict/memories/batch", batch, "k-ev")).status).toBe(201);
    expect((await post("/v1/namespaces/idem-evict/memories", { content: "e three" })).status).toBe(201);
    const again = await post("/v1/namespaces/idem-evict/memories/batch", batch, "k-ev");
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { details: unknown } }).error.details).toMatchObject({
      reason: "evicted",
    });
    expect(await count("idem-evict")).toBe(2);
    // A new key is a new write.
    expect((await post("/v1/namespaces/idem-del/memories", { content: "gone soon" }, "k-new")).status).toBe(
      201,
    );
  });

  it("replays batches and sessions, and keeps the embedded semantics for the caller's own ids", async () => {
    const batch = { memories: [{ content: "b one" }, { content: "b two" }] };
    const b1 = await post("/v1/namespaces/idem4/memories/batch", batch, "kb");
    expect(b1.status).toBe(201);
    const b2 = await post("/v1/namespaces/idem4/memories/batch", batch, "kb");
    expect(b2.status).toBe(200);
    expect(b2.headers.get("idempotent-replayed")).toBe("true");
    const ids = (r: unknown) => (r as { items: { id: string }[] }).items.map((m) => m.id);
    expect(ids(await b2.json())).toEqual(ids(await b1.json()));
    expect(await count("idem4")).toBe(2);

    const s1 = await post("/v1/namespaces/idem4/sessions", { metadata: { run: 1 } }, "ks");
    const s2 = await post("/v1/namespaces/idem4/sessions", { metadata: { run: 1 } }, "ks");
    expect([s1.status, s2.status]).toEqual([201, 200]);
    expect(((await s2.json()) as { id: string }).id).toBe(((await s1.json()) as { id: string }).id);
    const s3 = await post("/v1/namespaces/idem4/sessions", { metadata: { run: 2 } }, "ks");
    expect(s3.status).toBe(409);

    const own = { id: "my-own-id", content: "own" };
    expect((await post("/v1/namespaces/idem4/memories", own, "ko1")).status).toBe(201);
    const dup = await post("/v1/namespaces/idem4/memories", own, "ko2");
    expect(dup.status).toBe(409);
    expect(((await dup.json()) as { error: { code: string } }).error.code).toBe("ALREADY_EXISTS");
  });

  it("rejects a malformed key with 400 and writes nothing", async () => {
    const res = await post("/v1/namespaces/idem5/memories", { content: "x" }, "has space");
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("INVALID_ARGUMENT");
    expect((await t.fetch("/v1/namespaces/idem5")).status).toBe(404);
  });

  it("stores one record when the same keyed write arrives many times at once", async () => {
    const body = { content: "concurrent duplicate" };
    const statuses = await Promise.all(
      Array.from({ length: 8 }, () =>
        post("/v1/namespaces/idem6/memories", body, "kc").then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(7);
    expect(await count("idem6")).toBe(1);
  });

  it("LociClient retries a write whose reply was lost, with the same key, and it is applied once", async () => {
    const keys: string[] = [];
    let dropped = 0;
    // The network loses the first reply of every write after the server committed it.
    const lossy: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const key = new Headers(init?.headers).get("idempotency-key");
      if (key !== null) keys.push(key);
      if (key !== null && keys.filter((k) => k === key).length === 1) {
        await res.body?.cancel();
        dropped++;
        throw new TypeError("fetch failed: socket hang up");
      }
      return res;
    };
    const client = new LociClient({ baseUrl: t.url, apiKey: t.rootKey, fetch: lossy, retryDelayMs: 1 });
    const m = await client.memory.add({ namespace: "idem7", content: "lost reply" });
    const many = await client.memory.addMany({
      namespace: "idem7",
      memories: [{ content: "lost batch a" }, { content: "lost batch b" }],
    });
    const s = await client.session.create({ namespace: "idem7", metadata: { x: 1 } });
    const e = await client.knowledgeGraph.addEdge({
      namespace: "idem7",
      source: { type: "person", name: "Ada" },
      target: { type: "org", name: "Acme" },
      edgeType: "works_at",
    });
    expect(dropped).toBe(4);
    expect(new Set(keys).size).toBe(4);
    expect(await count("idem7")).toBe(3);
    expect((await client.memory.get({ namespace: "idem7", id: m.id })).content).toBe("lost reply");
    expect(many.map((x) => x.content)).toEqual(["lost batch a", "lost batch b"]);
    expect((await client.session.list({ namespace: "idem7" })).items.map((x) => x.id)).toEqual([s.id]);
    expect(e.edgeType).toBe("works_at");
    const events: string[] = [];
    const sub = await t.root.events.subscribe({ namespace: "idem7", since: 0 }, (ev) => {
      events.push(ev.type);
    });
    await new Promise((r) => setTimeout(r, 100));
    sub.unsubscribe();
    expect(events.filter((x) => x === "memory.added")).toHaveLength(3);
    expect(events.filter((x) => x === "session.created")).toHaveLength(1);
    expect(events.filter((x) => x === "edge.added")).toHaveLength(1);
  });
});
