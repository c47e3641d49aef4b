/** `GET /v1/namespaces` with a scoped key: its page size and cursor are checked like an admin's. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../testing/test-server.js";

let t: TestServer;
let scoped: string;
beforeAll(async () => {
  t = await startTestServer();
  for (const name of ["list-a", "list-b", "list-c", "other"]) await t.root.namespace.create({ name });
  scoped = await t.createKey({ scopes: [{ namespaces: ["list-*"], permissions: ["read"] }] });
});
afterAll(async () => t.stop());

type Page = { items?: { name: string }[]; next_cursor?: string | null; error?: { code: string } };
const list = async (query: string, key: string | undefined) => {
  const res = await t.fetch(`/v1/namespaces?${query}`, key === undefined ? {} : { key });
  return { status: res.status, body: (await res.json()) as Page };
};

describe("scoped namespace listing", () => {
  it("rejects the page sizes and cursors an admin key gets 400 for", async () => {
    for (const query of ["limit=1.5", "limit=0", "limit=-3", "limit=5000"]) {
      expect((await list(query, undefined)).status, `admin ${query}`).toBe(400);
      const r = await list(query, scoped);
      expect(r.status, `scoped ${query}`).toBe(400);
      expect(r.body.error?.code).toBe("INVALID_ARGUMENT");
    }
    for (const cursor of ["%25%25junk", "Li4v", "bGlzdC1h!"]) {
      const r = await list(`cursor=${cursor}`, scoped);
      expect(r.status, cursor).toBe(400);
      expect(r.body.error?.code).toBe("INVALID_CURSOR");
    }
  });

  it("still pages through exactly the namespaces the key may read", async () => {
    const names: string[] = [];
    let cursor: string | null | undefined;
    do {
      const r = await list(`limit=2${cursor ? `&cursor=${cursor}` : ""}`, scoped);
      expect(r.status).toBe(200);
      names.push(...r.body.items!.map((i) => i.name));
      cursor = r.body.next_cursor;
    } while (cursor);
    expect(names).toEqual(["list-a", "list-b", "list-c"]);
  });

  it("works on a server whose page size is configured below 1,000", async () => {
    const small = await startTestServer({ limits: { pageSize: 50 } });
    try {
      for (let i = 0; i < 60; i++)
        await small.root.namespace.create({ name: `p-${String(i).padStart(2, "0")}` });
      const key = await small.createKey({ scopes: [{ namespaces: ["p-*"], permissions: ["read"] }] });
      const res = await small.fetch("/v1/namespaces?limit=50", { key });
      expect(res.status).toBe(200);
      const page = (await res.json()) as Page;
      expect(page.items).toHaveLength(50);
      const rest = await small.fetch(`/v1/namespaces?cursor=${page.next_cursor}`, { key });
      expect(((await rest.json()) as Page).items).toHaveLength(10);
      expect((await small.fetch("/v1/namespaces?limit=51", { key })).status).toBe(400);
    } finally {
      await small.stop();
    }
  });
});
