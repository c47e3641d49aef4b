/**
 * `LociClient.memory.list` / `session.list` with a filter too long for a URL (an `$in` of 1,000
 * UUIDs, ~40 KB): over HTTP they return what the embedded engine returns, page by page, through
 * the `POST …/list` routes; short filters keep the `GET` routes older servers have.
 */
import { LociClient } from "@loci/client";
import type { Memory, MemoryClient, Page, Session } from "@loci/engine";
import { openTempEngine, type TempEngine } from "@loci/engine/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./testing/test-server.js";

/** A UUID-like id of `i` (36 characters). */
const uuid = (i: number) => {
  const h = i.toString(16).padStart(12, "0");
  return `0190${h.slice(0, 4)}-7e57-4abc-8def-${h}`;
};
/** Memories 0..299 carry `ref: uuid(i)`; the filter names every 5th of them plus 940 unknown ids. */
const STORED = 300;
const refs = [
  ...Array.from({ length: 60 }, (_, i) => uuid(i * 5)),
  ...Array.from({ length: 940 }, (_, i) => uuid(10_000 + i)),
];
const filter = { ref: { $in: refs } };

let t: TestServer;
let embedded: TempEngine;
let requests: { method: string; url: string }[] = [];
let http: LociClient;
beforeAll(async () => {
  t = await startTestServer();
  embedded = await openTempEngine();
  http = new LociClient({
    baseUrl: t.url,
    apiKey: t.rootKey,
    fetch: (input, init) => {
      requests.push({ method: init?.method ?? "GET", url: String(input) });
      return fetch(input, init);
    },
  });
  for (const client of [embedded.loci, t.root] as MemoryClient[]) {
    await client.memory.addMany({
      namespace: "long",
      memories: Array.from({ length: STORED }, (_, i) => ({
        content: `record ${i}`,
        metadata: { ref: uuid(i) },
      })),
    });
    for (let i = 0; i < 30; i++)
      await client.session.create({ namespace: "long", metadata: { ref: uuid(i) } });
  }
});
afterAll(async () => {
  await t.stop();
  await embedded.cleanup();
});

/** Every page of a list, and the number of pages. */
async function allPages<T>(
  list: (cursor: string | undefined) => Promise<Page<T>>,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await list(cursor);
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
    pages++;
  } while (cursor !== undefined && pages < 100);
  return { items, pages };
}

describe("LociClient lists with a long filter", () => {
  it("the filter does not fit in a URL: the GET form is refused by the HTTP server", async () => {
    expect(JSON.stringify(filter).length).toBeGreaterThan(38_000);
    const res = await t.fetch(
      `/v1/namespaces/long/memories?filter=${encodeURIComponent(JSON.stringify(filter))}`,
    );
    expect(res.status).toBe(431);
  });

  it("memory.list with a $in of 1,000 UUIDs returns exactly the matching memories, paged, as embedded does", async () => {
    requests = [];
    const over = await allPages((cursor) =>
      http.memory.list({ namespace: "long", filter, limit: 25, ...(cursor ? { cursor } : {}) }),
    );
    const local = await allPages((cursor) =>
      embedded.loci.memory.list({ namespace: "long", filter, limit: 25, ...(cursor ? { cursor } : {}) }),
    );
    const contents = (ms: Memory[]) => ms.map((m) => m.content);
    expect(contents(over.items)).toEqual(Array.from({ length: 60 }, (_, i) => `record ${i * 5}`));
    expect(contents(over.items)).toEqual(contents(local.items));
    expect(over.pages).toBe(3);
    expect(requests.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual(
      Array(3).fill("POST /v1/namespaces/long/memories/list"),
    );
  });

  it("session.list with a $in of 1,000 UUIDs returns exactly the matching sessions, paged, as embedded does", async () => {
    requests = [];
    const over = await allPages((cursor) =>
      http.session.list({ namespace: "long", filter, limit: 4, ...(cursor ? { cursor } : {}) }),
    );
    const local = await allPages((cursor) =>
      embedded.loci.session.list({ namespace: "long", filter, limit: 4, ...(cursor ? { cursor } : {}) }),
    );
    const refsOf = (ss: Session[]) => ss.map((s) => s.metadata.ref);
    expect(refsOf(over.items)).toEqual([0, 5, 10, 15, 20, 25].map(uuid));
    expect(refsOf(over.items)).toEqual(refsOf(local.items));
    expect(over.pages).toBe(2);
    expect(requests.every((r) => r.method === "POST" && r.url.endsWith("/sessions/list"))).toBe(true);
  });

  it("a short filter still goes in the query string of the GET route", async () => {
    requests = [];
    const short = { ref: { $in: [uuid(0), uuid(5)] } };
    const page = await http.memory.list({ namespace: "long", filter: short });
    expect(page.items.map((m) => m.content)).toEqual(["record 0", "record 5"]);
    await http.session.list({ namespace: "long", filter: short, status: "active" });
    expect(requests.map((r) => r.method)).toEqual(["GET", "GET"]);
    expect(new URL(requests[0]!.url).searchParams.get("filter")).toBe(JSON.stringify(short));
    expect(new URL(requests[1]!.url).searchParams.get("status")).toBe("active");
  });

  it("errors of the long form are typed like the short form's", async () => {
    const bad = { ref: { $in: refs, $bogus: 1 } };
    await expect(http.memory.list({ namespace: "long", filter: bad })).rejects.toMatchObject({
      code: "INVALID_FILTER",
      name: "FilterError",
    });
    await expect(http.session.list({ namespace: "long", filter, limit: 0 })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    const reader = t.client(await t.createKey({ scopes: [{ namespaces: ["else"], permissions: ["read"] }] }));
    await expect(reader.memory.list({ namespace: "long", filter })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    // Unsendable values are caught before sending, as for a short filter.
    const undef = { ref: { $in: [...refs.slice(1), undefined as unknown as string] } };
    await expect(http.memory.list({ namespace: "long", filter: undef })).rejects.toMatchObject({
      code: "INVALID_FILTER",
    });
  });
});
