import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestServer, type TestServer } from "./testing/test-server.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ bodyLimitBytes: 64 * 1024 });
});
afterAll(async () => t.stop());

const body = async (r: Response) =>
  (await r.json()) as { error?: { code: string; message: string } } & Record<string, unknown>;

describe("authentication and scopes", () => {
  it("the seed's curl works as written with an admin key", async () => {
    const admin = await t.createKey({ name: "ops", admin: true });
    const { stdout } = await promisify(execFile)("curl", [
      "-s",
      "-w",
      "\n%{http_code}",
      "-X",
      "POST",
      `${t.url}/v1/namespaces`,
      "-H",
      `Authorization: Bearer ${admin}`,
      "-d",
      '{"name":"team-shared","description":"Finalized outputs shared by the crew"}',
    ]);
    const [json, status] = stdout.trim().split("\n");
    expect(status).toBe("201");
    expect(JSON.parse(json!)).toMatchObject({
      name: "team-shared",
      description: "Finalized outputs shared by the crew",
      memory_count: 0,
    });
  });

  it("401 without a key, with a malformed, unknown, revoked or expired key", async () => {
    const revoked = await t.createKey({ scopes: [{ namespaces: ["*"], permissions: ["read"] }] });
    const id = revoked.split("_")[1];
    expect((await t.fetch(`/v1/keys/${id}`, { method: "DELETE" })).status).toBe(200);
    const expired = await t.createKey({
      scopes: [{ namespaces: ["*"], permissions: ["read"] }],
      expires_at: Date.now() - 1000,
    });
    for (const key of [
      null,
      "garbage",
      `loci_AAAAAAAAAAAA_${"x".repeat(43)}`,
      revoked,
      expired,
      `${t.rootKey}x`,
    ]) {
      const res = await t.fetch("/v1/namespaces", { key });
      expect(res.status, String(key)).toBe(401);
      expect((await body(res)).error!.code).toBe("UNAUTHENTICATED");
    }
  });

  it("a researcher + team-* key writes both and gets 403 on writer, whether or not it exists", async () => {
    const key = await t.createKey({
      name: "researcher",
      scopes: [{ namespaces: ["researcher", "team-*"], permissions: ["read", "write"] }],
    });
    const researcher = t.client(key);
    await researcher.memory.add({ namespace: "researcher", content: "private note" });
    await researcher.memory.add({ namespace: "team-shared", content: "shared finding" });
    await t.root.memory.add({ namespace: "writer", content: "writer's private draft" });
    for (const ns of ["writer", "does-not-exist"]) {
      const add = await t.fetch(`/v1/namespaces/${ns}/memories`, {
        key,
        method: "POST",
        body: JSON.stringify({ content: "x" }),
      });
      expect(add.status).toBe(403);
      expect((await body(add)).error!.code).toBe("FORBIDDEN");
      const read = await t.fetch(`/v1/namespaces/${ns}/search`, {
        key,
        method: "POST",
        body: JSON.stringify({ query: "draft" }),
      });
      expect(read.status).toBe(403);
      expect((await t.fetch(`/v1/namespaces/${ns}`, { key })).status).toBe(403);
      expect((await t.fetch(`/v1/namespaces/${ns}/events`, { key })).status).toBe(403);
    }
    const multi = await t.fetch("/v1/search", {
      key,
      method: "POST",
      body: JSON.stringify({ namespaces: ["researcher", "writer"], query: "x" }),
    });
    expect(multi.status).toBe(403);
    const listed = (await (await t.fetch("/v1/namespaces", { key })).json()) as { items: { name: string }[] };
    expect(listed.items.map((n) => n.name).sort()).toEqual(["researcher", "team-shared"]);
  });

  it("read-only keys cannot write; scoped keys cannot manage keys or configure namespaces", async () => {
    const key = await t.createKey({ scopes: [{ namespaces: ["team-*"], permissions: ["read"] }] });
    await t.root.memory.add({ namespace: "team-ro", content: "readable" });
    expect((await t.fetch("/v1/namespaces/team-ro/memories", { key })).status).toBe(200);
    const write = await t.fetch("/v1/namespaces/team-ro/memories", {
      key,
      method: "POST",
      body: JSON.stringify({ content: "x" }),
    });
    expect(write.status).toBe(403);
    expect((await t.fetch("/v1/keys", { key })).status).toBe(403);
    expect(
      (await t.fetch("/v1/keys", { key, method: "POST", body: JSON.stringify({ admin: true }) })).status,
    ).toBe(403);
    expect(
      (
        await t.fetch("/v1/namespaces/team-ro", {
          key,
          method: "PATCH",
          body: JSON.stringify({ description: "x" }),
        })
      ).status,
    ).toBe(403);
    expect((await t.fetch("/v1/namespaces/team-ro", { key, method: "DELETE" })).status).toBe(403);
    expect((await t.root.memory.list({ namespace: "team-ro" })).items).toHaveLength(1);
  });

  it("creates keys shown once, lists them without secrets, validates scopes", async () => {
    const res = await t.fetch("/v1/keys", {
      method: "POST",
      body: JSON.stringify({
        name: "writer",
        scopes: [{ namespaces: ["writer", "team-*"], permissions: ["read", "write"] }],
      }),
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: string; key: string };
    expect(created.key).toMatch(/^loci_[A-Za-z0-9]{12}_/);
    const list = (await (await t.fetch("/v1/keys")).json()) as { items: Record<string, unknown>[] };
    const listed = list.items.find((k) => k.id === created.id)!;
    expect(listed).toMatchObject({ name: "writer", role: "scoped" });
    expect(listed.key).toBeUndefined();
    // The secret is everything after `loci_<id>_` (it may itself contain "_").
    const secret = created.key.slice(`loci_${created.id}_`.length);
    expect(secret.length).toBeGreaterThan(16);
    expect(JSON.stringify(list)).not.toContain(secret);
    for (const bad of [
      { scopes: [] },
      { scopes: [{ namespaces: ["../x"], permissions: ["read"] }] },
      { scopes: [{ namespaces: ["a"], permissions: ["delete"] }] },
      {},
    ]) {
      const r = await t.fetch("/v1/keys", { method: "POST", body: JSON.stringify(bad) });
      expect(r.status, JSON.stringify(bad)).toBe(400);
    }
    expect((await t.fetch("/v1/keys/nope", { method: "DELETE" })).status).toBe(404);
  });
});

describe("errors, limits and documents", () => {
  it("answers client errors with 4xx and the error envelope, never 500", async () => {
    const cases: [string, RequestInit, number, string][] = [
      ["/v1/namespaces/x/memories", { method: "POST", body: "{not json" }, 400, "INVALID_ARGUMENT"],
      [
        "/v1/namespaces/x/memories",
        { method: "POST", body: JSON.stringify({ content: "x", sessionId: "camel" }) },
        400,
        "INVALID_ARGUMENT",
      ],
      [
        "/v1/namespaces/x/memories",
        { method: "POST", body: JSON.stringify({ content: 5 }) },
        400,
        "INVALID_ARGUMENT",
      ],
      [
        "/v1/namespaces/x/memories",
        { method: "POST", body: JSON.stringify({ content: "" }) },
        400,
        "INVALID_ARGUMENT",
      ],
      [
        "/v1/namespaces/bad%2Fname/memories",
        { method: "POST", body: JSON.stringify({ content: "x" }) },
        400,
        "INVALID_NAMESPACE",
      ],
      [
        "/v1/namespaces/x/search",
        { method: "POST", body: JSON.stringify({ query: "q", metadata_filter: { $foo: 1 } }) },
        400,
        "INVALID_FILTER",
      ],
      ["/v1/namespaces/x/memories?filter=%7Bbad", { method: "GET" }, 400, "INVALID_FILTER"],
      ["/v1/namespaces/missing", { method: "GET" }, 404, "NAMESPACE_NOT_FOUND"],
      ["/v1/nothing-here", { method: "GET" }, 404, "NOT_FOUND"],
      [
        "/v1/namespaces/x/memories",
        { method: "POST", body: JSON.stringify({ content: "y".repeat(70_000) }) },
        413,
        "PAYLOAD_TOO_LARGE",
      ],
    ];
    await t.root.memory.add({ namespace: "x", content: "exists" });
    for (const [path, init, status, code] of cases) {
      const res = await t.fetch(path, init);
      expect(res.status, path).toBe(status);
      expect((await body(res)).error!.code, path).toBe(code);
    }
  });

  it("names invalid fields by their wire names, and leaves metadata keys as the caller wrote them", async () => {
    const post = async (path: string, payload: unknown) => {
      const res = await t.fetch(path, { method: "POST", body: JSON.stringify(payload) });
      expect(res.status, path).toBe(400);
      return (await body(res)).error as { code: string; message: string; details?: { field?: string } };
    };
    await t.root.namespace.create({ name: "fields" });
    // Engine validation (ranges, ids, nesting), renamed from the engine's camelCase.
    const graph = await post("/v1/namespaces", {
      name: "fields-graph",
      config: { vector_index: { ef_construction: 3 } },
    });
    expect(graph.details?.field).toBe("vector_index.ef_construction");
    expect(graph.message).toBe("vector_index.ef_construction must be an integer from 16 to 2000");
    const session = await post("/v1/namespaces/fields/memories/batch", {
      memories: [{ content: "ok" }, { content: "bad id", session_id: "" }],
    });
    expect(session.details?.field).toBe("memories[1].session_id");
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { innerKey: deep };
    const nested = await post("/v1/namespaces/fields/memories", {
      content: "x",
      metadata: { customerId: deep },
    });
    expect(nested.details?.field).toMatch(/^metadata\.customerId\.innerKey\.innerKey/);
    // Structural (zod) errors name the first offending field too.
    const structural = await post("/v1/namespaces/fields/memories/batch", { memories: [{ content: 5 }] });
    expect(structural).toMatchObject({ code: "INVALID_ARGUMENT", details: { field: "memories[0].content" } });
    expect(structural.message).toContain("memories[0].content: ");
    // The HTTP client renames them back, so its callers see the engine's names.
    const err = await t.root.namespace
      .create({ name: "fields-graph", config: { vectorIndex: { efConstruction: 3 } } })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "INVALID_ARGUMENT", details: { field: "vectorIndex.efConstruction" } });
    expect((err as Error).message).toMatch(/^vectorIndex\.efConstruction /);
  });

  it("reports a namespace's background work in indexing, by its wire names", async () => {
    await t.root.memory.addMany({
      namespace: "rebuilt",
      memories: Array.from({ length: 30 }, (_, i) => ({ content: `ticket ${i} about the deploy` })),
    });
    await vi.waitFor(async () => {
      expect((await t.root.namespace.get({ namespace: "rebuilt" })).indexing.pendingVectors).toBe(0);
    });
    const patch = await t.fetch("/v1/namespaces/rebuilt", {
      method: "PATCH",
      body: JSON.stringify({ config: { vector_index: { m: 24 } } }),
    });
    expect(patch.status).toBe(200);
    // The new graph is built in the background: none of it is there when the PATCH answers.
    expect((await body(patch)).indexing).toEqual({
      pending_vectors: 0,
      graph_rebuild_pending: 30,
      sentence_backfill_pending: 0,
    });
    const client = await t.root.namespace.configure({ namespace: "rebuilt", vectorIndex: { m: 32 } });
    expect(client.indexing.graphRebuildPending).toBe(30);
    await vi.waitFor(async () => {
      const res = await t.fetch("/v1/namespaces/rebuilt");
      expect((await body(res)).indexing).toMatchObject({ graph_rebuild_pending: 0 });
    });
  });

  it("serves /health, /metrics and an OpenAPI document of every route", async () => {
    expect(await (await fetch(`${t.url}/health`)).json()).toMatchObject({ status: "ok" });
    const counter = (text: string, name: string) =>
      Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)?.[1] ?? Number.NaN);
    const before = await (await fetch(`${t.url}/metrics`)).text();
    // The same query twice: the second one's embedding comes from the tenant's cache.
    for (let i = 0; i < 2; i++) {
      const res = await t.fetch("/v1/namespaces/x/search", {
        method: "POST",
        body: JSON.stringify({ query: "a query asked twice for the metrics" }),
      });
      expect(res.status).toBe(200);
    }
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/^# TYPE loci_embedding_cache_hits_total counter$/m);
    expect(metrics).toMatch(/^# TYPE loci_sentence_backfill_pending gauge$/m);
    expect(counter(metrics, "loci_sentence_backfill_pending")).toBe(0);
    expect(metrics).toMatch(/^# TYPE loci_graph_rebuild_pending gauge$/m);
    expect(counter(metrics, "loci_graph_rebuild_pending")).toBe(0);
    expect(counter(metrics, "loci_embedding_cache_hits_total")).toBeGreaterThanOrEqual(1);
    expect(counter(metrics, "loci_embedding_cache_hits_total")).toBe(
      counter(before, "loci_embedding_cache_hits_total") + 1,
    );
    expect(counter(metrics, "loci_embedding_cache_misses_total")).toBe(
      counter(before, "loci_embedding_cache_misses_total") + 1,
    );
    expect(metrics).toContain(
      'loci_http_requests_total{method="POST",route="/v1/namespaces/:ns/memories",status="201"}',
    );
    expect(metrics).not.toContain("team-shared");
    // Failed background WAL checkpoints are counted (none here).
    expect(metrics).toMatch(
      /^# TYPE loci_checkpoint_failures_total counter\nloci_checkpoint_failures_total 0$/m,
    );
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, object>;
    };
    expect(doc.openapi).toBe("3.1.0");
    for (const path of [
      "/v1/namespaces",
      "/v1/namespaces/{ns}",
      "/v1/namespaces/{ns}/memories",
      "/v1/namespaces/{ns}/memories/batch",
      "/v1/namespaces/{ns}/memories/list",
      "/v1/namespaces/{ns}/memories/{id}",
      "/v1/namespaces/{ns}/search",
      "/v1/search",
      "/v1/namespaces/{ns}/sessions",
      "/v1/namespaces/{ns}/sessions/{id}",
      "/v1/namespaces/{ns}/sessions/{id}/end",
      "/v1/namespaces/{ns}/sessions/list",
      "/v1/namespaces/{ns}/events",
      "/v1/keys",
      "/v1/keys/{id}",
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
  });
});
