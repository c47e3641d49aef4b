import { LociError } from "@loci/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../testing/test-server.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

const seed = (namespace: string) =>
  t.root.memory.addMany({
    namespace,
    memories: [
      { id: "a1", content: "Acme renews in Q2", metadata: { customer: "acme" } },
      { id: "a2", content: "Acme wants SSO", metadata: { customer: "acme" } },
      { id: "b1", content: "Beta pays late", metadata: { customer: "beta" } },
    ],
  });
const ids = async (namespace: string) =>
  (await t.root.memory.list({ namespace, limit: 100 })).items.map((m) => m.id).sort();

describe("POST /v1/namespaces/{ns}/memories/delete", () => {
  it("deletes by filter and by ids over raw HTTP, and says how many", async () => {
    await seed("dm");
    const del = (body: unknown) =>
      t.fetch("/v1/namespaces/dm/memories/delete", { method: "POST", body: JSON.stringify(body) });
    const r = await del({ filter: { customer: "acme" } });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ deleted: 2 });
    expect(await ids("dm")).toEqual(["b1"]);
    expect(await (await del({ ids: ["b1", "zz"] })).json()).toEqual({ deleted: 1 });
    // Bulk erases are in the audit log: which namespace, by what, how many; so is a namespace delete.
    expect((await t.fetch("/v1/namespaces/dm", { method: "DELETE" })).status).toBe(204);
    const audit = (await (await t.fetch("/v1/audit?limit=100")).json()) as {
      items: { action: string; target: string; detail: string; key_id: string | null }[];
    };
    const erased = audit.items.filter((e) => e.action === "memories.deleted" && e.target === "dm");
    expect(erased.map((e) => JSON.parse(e.detail)).sort((a, b) => a.deleted - b.deleted)).toEqual([
      { ids: 2, deleted: 1 },
      { filter: { customer: "acme" }, deleted: 2 },
    ]);
    expect(erased.every((e) => e.key_id !== null)).toBe(true);
    expect(audit.items.some((e) => e.action === "namespace.deleted" && e.target === "dm")).toBe(true);
    // Nothing selected, an unknown field, a malformed filter: 400 with a code, nothing deleted.
    await seed("dm2");
    const bad = async (body: unknown) => {
      const res = await t.fetch("/v1/namespaces/dm2/memories/delete", {
        method: "POST",
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(400);
      return ((await res.json()) as { error: { code: string } }).error.code;
    };
    expect(await bad({})).toBe("INVALID_ARGUMENT");
    expect(await bad({ where: {} })).toBe("INVALID_ARGUMENT");
    expect(await bad({ filter: { customer: { $regex: "a" } } })).toBe("INVALID_FILTER");
    expect(await ids("dm2")).toEqual(["a1", "a2", "b1"]);
  });

  it("needs write permission on the namespace", async () => {
    await seed("dm-scoped");
    const reader = await t.createKey({ scopes: [{ namespaces: ["dm-scoped"], permissions: ["read"] }] });
    const res = await t.fetch("/v1/namespaces/dm-scoped/memories/delete", {
      method: "POST",
      key: reader,
      body: JSON.stringify({ filter: {} }),
    });
    expect(res.status).toBe(403);
    expect(await ids("dm-scoped")).toEqual(["a1", "a2", "b1"]);
  });

  it("LociClient.memory.deleteMany sends sessionId, ids and filter", async () => {
    await t.root.session.create({ namespace: "dmc", id: "run" });
    await t.root.memory.add({ namespace: "dmc", id: "s1", content: "in the run", sessionId: "run" });
    await t.root.memory.add({
      namespace: "dmc",
      id: "s2",
      content: "in the run too",
      sessionId: "run",
      metadata: { k: 1 },
    });
    await t.root.memory.add({ namespace: "dmc", id: "o1", content: "outside" });
    expect(await t.root.memory.deleteMany({ namespace: "dmc", sessionId: "run", filter: { k: 1 } })).toEqual({
      deleted: 1,
    });
    expect(await t.root.memory.deleteMany({ namespace: "dmc", sessionId: "run" })).toEqual({ deleted: 1 });
    expect(await t.root.memory.deleteMany({ namespace: "dmc", ids: ["o1"] })).toEqual({ deleted: 1 });
    const err = await t.root.memory.deleteMany({ namespace: "dmc" }).catch((e: unknown) => e);
    expect(LociError.isInstance(err) && err.code).toBe("INVALID_ARGUMENT");
  });
});
