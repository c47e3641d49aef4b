/**
 * `POST /v1/namespaces/{ns}/memories/list` and `…/sessions/list` over raw HTTP: the same pages as
 * the GET lists (cursors continue across the two forms), the same validation, the same scopes, and
 * both in the OpenAPI document.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../testing/test-server.js";

let t: TestServer;
const ns = "/v1/namespaces/lists";
beforeAll(async () => {
  t = await startTestServer();
  await t.root.memory.addMany({
    namespace: "lists",
    memories: Array.from({ length: 7 }, (_, i) => ({
      content: `note ${i}`,
      metadata: { n: i, odd: i % 2 === 1 },
    })),
  });
  for (let i = 0; i < 5; i++) await t.root.session.create({ namespace: "lists", metadata: { n: i } });
});
afterAll(async () => t.stop());

type Page = {
  items?: { id: string; content?: string }[];
  next_cursor?: string | null;
  error?: { code: string };
};
const get = async (resource: string, query: string, key?: string) => {
  const res = await t.fetch(`${ns}/${resource}?${query}`, key === undefined ? {} : { key });
  return { status: res.status, body: (await res.json()) as Page };
};
const post = async (resource: string, body: unknown, key?: string, path = ns) => {
  const init = { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body) };
  const res = await t.fetch(`${path}/${resource}/list`, key === undefined ? init : { ...init, key });
  return { status: res.status, body: (await res.json()) as Page };
};

describe("POST …/list routes", () => {
  it("return the GET list's pages, and a cursor from either form continues in the other", async () => {
    for (const resource of ["memories", "sessions"]) {
      const all = await get(resource, "limit=100");
      expect(all.status).toBe(200);
      const bodyAll = await post(resource, { limit: 100 });
      expect(bodyAll).toEqual(all);
      const filter = { n: { $gte: 1 } };
      const expected = (
        await get(resource, `limit=100&filter=${encodeURIComponent(JSON.stringify(filter))}`)
      ).body.items!.map((m) => m.id);
      expect(expected.length).toBe(4 + (resource === "memories" ? 2 : 0));
      // GET → POST → GET → POST, two at a time.
      const ids: string[] = [];
      let cursor: string | null | undefined;
      for (let i = 0; i < 10 && (i === 0 || cursor); i++) {
        const r =
          i % 2 === 0
            ? await get(
                resource,
                `limit=2&filter=${encodeURIComponent(JSON.stringify(filter))}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
              )
            : await post(resource, { filter, limit: 2, ...(cursor ? { cursor } : {}) });
        expect(r.status, resource).toBe(200);
        ids.push(...r.body.items!.map((m) => m.id));
        cursor = r.body.next_cursor;
      }
      expect(ids, resource).toEqual(expected);
    }
  });

  it("take the resource's own field (session_id, status) and an empty body", async () => {
    const session = await t.root.session.create({ namespace: "lists" });
    await t.root.memory.add({ namespace: "lists", content: "in session", sessionId: session.id });
    const r = await post("memories", { session_id: session.id });
    expect(r.body.items!.map((m) => m.content)).toEqual(["in session"]);
    await t.root.session.end({ namespace: "lists", id: session.id });
    const ended = await post("sessions", { status: "ended" });
    expect(ended.body.items!.map((s) => s.id)).toEqual([session.id]);
    const res = await t.fetch(`${ns}/sessions/list`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Page).items!.length).toBe(6);
  });

  it("validate like the GET lists: bad filter INVALID_FILTER, bad limit, cursor or body 400", async () => {
    for (const resource of ["memories", "sessions"]) {
      for (const filter of [{ n: { $bogus: 1 } }, { $or: [] }, 5, "n", [1], null]) {
        const r = await post(resource, { filter });
        expect([r.status, r.body.error?.code], `${resource} ${JSON.stringify(filter)}`).toEqual([
          400,
          "INVALID_FILTER",
        ]);
        const q = await get(resource, `filter=${encodeURIComponent(JSON.stringify(filter))}`);
        expect(q.body.error?.code, "the GET form agrees").toBe("INVALID_FILTER");
      }
      for (const limit of [0, -1, 1.5, 5000, "10", null]) {
        const r = await post(resource, { limit });
        expect([r.status, r.body.error?.code], `${resource} limit ${limit}`).toEqual([
          400,
          "INVALID_ARGUMENT",
        ]);
      }
      expect((await post(resource, { cursor: "%%junk" })).body.error?.code).toBe("INVALID_CURSOR");
      const typo = await post(resource, { filtr: { n: 1 } });
      expect([typo.status, typo.body.error?.code], "an unknown field is not ignored").toEqual([
        400,
        "INVALID_ARGUMENT",
      ]);
      expect((await post(resource, "{not json")).status).toBe(400);
    }
    expect((await post("sessions", { status: "open" })).status).toBe(400);
    expect((await post("memories", { session_id: 7 })).status).toBe(400);
  });

  it("need read on the namespace: 403 otherwise, whether or not it exists", async () => {
    const other = await t.createKey({
      scopes: [{ namespaces: ["other-*"], permissions: ["read", "write"] }],
    });
    const writeOnly = await t.createKey({ scopes: [{ namespaces: ["lists"], permissions: ["write"] }] });
    const reader = await t.createKey({ scopes: [{ namespaces: ["lists"], permissions: ["read"] }] });
    for (const resource of ["memories", "sessions"]) {
      for (const [key, path] of [
        [other, ns],
        [other, "/v1/namespaces/missing"],
        [writeOnly, ns],
      ] as const) {
        const r = await post(resource, { filter: { n: 1 } }, key, path);
        expect([r.status, r.body.error?.code], `${resource} ${path}`).toEqual([403, "FORBIDDEN"]);
      }
      expect((await post(resource, {}, reader)).status).toBe(200);
      const anonymous = await t.fetch(`${ns}/${resource}/list`, { method: "POST", body: "{}", key: null });
      expect(anonymous.status).toBe(401);
    }
  });

  it("appear in /openapi.json with their request bodies", async () => {
    type Op = { requestBody?: { content: Record<string, { schema: { $ref?: string } }> }; responses: object };
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as {
      paths: Record<string, { post?: Op; get?: Op }>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    for (const [path, name, field] of [
      ["/v1/namespaces/{ns}/memories/list", "MemoryListRequest", "session_id"],
      ["/v1/namespaces/{ns}/sessions/list", "SessionListRequest", "status"],
    ] as const) {
      const op = doc.paths[path]?.post;
      expect(op, path).toBeDefined();
      expect(op!.requestBody!.content["application/json"]!.schema.$ref).toBe(`#/components/schemas/${name}`);
      expect(Object.keys(doc.components.schemas[name]!.properties!).sort()).toEqual(
        [field, "cursor", "filter", "limit"].sort(),
      );
      expect(Object.keys(op!.responses)).toContain("200");
      expect(doc.paths[path.replace("/list", "")]?.get, "the GET list stays").toBeDefined();
    }
  });
});
