/**
 * `LociClient` against a real server behaves as the embedded engine does on inputs where it used to
 * differ: deletes in a missing namespace, values JSON cannot carry (which `JSON.stringify` would
 * silently drop or turn into `null`), and ids that cannot be a URL path segment.
 */
import type { MemoryClient } from "@loci/engine";
import { LociError } from "@loci/engine";
import { openTempEngine, type TempEngine } from "@loci/engine/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./testing/test-server.js";

let t: TestServer;
let embedded: TempEngine;
beforeAll(async () => {
  t = await startTestServer();
  embedded = await openTempEngine();
  for (const c of clients()) {
    await c.client.memory.add({ namespace: "par", content: "acme renewal", metadata: { customer: "a" } });
    await c.client.memory.add({ namespace: "par", content: "other renewal", metadata: { customer: "b" } });
  }
});
afterAll(async () => {
  await t.stop();
  await embedded.cleanup();
});

const clients = (): { name: string; client: MemoryClient }[] => [
  { name: "embedded", client: embedded.loci },
  { name: "http", client: t.root },
];

/** The error `op` fails with, as `{ code, field }`. */
async function failure(op: () => Promise<unknown>): Promise<{ code: string; field?: unknown } | "ok"> {
  try {
    await op();
    return "ok";
  } catch (err) {
    if (!LociError.isInstance(err)) throw err;
    return { code: err.code, field: err.details?.field ?? err.details?.path };
  }
}

describe("LociClient parity with the embedded engine", () => {
  it("memory.delete in a missing namespace is NAMESPACE_NOT_FOUND, not false", async () => {
    for (const { name, client } of clients()) {
      expect(await failure(() => client.memory.delete({ namespace: "nowhere", id: "x" })), name).toEqual({
        code: "NAMESPACE_NOT_FOUND",
        field: undefined,
      });
      expect(await client.memory.delete({ namespace: "par", id: "missing" }), name).toBe(false);
      expect(await client.namespace.delete({ namespace: "nowhere" }), name).toBe(false);
    }
  });

  it("a filter value that is undefined is INVALID_FILTER, never a filter that matches everything", async () => {
    const customer = undefined as unknown as string;
    for (const { name, client } of clients()) {
      expect(
        await failure(() => client.memory.list({ namespace: "par", filter: { customer } })),
        name,
      ).toMatchObject({ code: "INVALID_FILTER" });
      expect(
        await failure(() =>
          client.memory.search({ namespace: "par", query: "renewal", metadataFilter: { customer } }),
        ),
        name,
      ).toMatchObject({ code: "INVALID_FILTER" });
      expect(
        await failure(() =>
          client.memory.search({ namespace: "par", query: "renewal", metadataFilter: { n: { $gt: NaN } } }),
        ),
        name,
      ).toMatchObject({ code: "INVALID_FILTER" });
      // Dropped on the wire, that filter would be `{}`: every memory. It deletes nothing.
      expect(
        await failure(() => client.memory.deleteMany({ namespace: "par", filter: { customer } })),
        name,
      ).toMatchObject({ code: "INVALID_FILTER" });
      expect((await client.memory.list({ namespace: "par" })).items, name).toHaveLength(2);
    }
  });

  it("the search extras (length prior, neighbours, fusion) reach the engine over HTTP and rank alike", async () => {
    const opts = {
      namespace: "par",
      query: "renewal",
      mode: "keyword" as const,
      lengthPrior: { weight: 0.9, terms: 3 },
      neighbors: false as const,
    };
    const results = await Promise.all(clients().map((c) => c.client.memory.search(opts)));
    const [a, b] = [results[0]!, results[1]!];
    const shape = (rs: typeof a) => rs.map((r) => [r.memory.content, r.score.toFixed(9)]);
    expect(shape(b)).toEqual(shape(a));
    const plain = await t.root.memory.search({ ...opts, lengthPrior: false });
    expect(b[0]!.score).not.toBeCloseTo(plain[0]!.score, 6);
    for (const c of clients()) {
      const err = await c.client.memory.search({ ...opts, lengthPrior: { terms: 0 } }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, c.name).toMatchObject({
        code: "INVALID_ARGUMENT",
        details: { field: "lengthPrior.terms" },
      });
    }
  });

  it("metadata JSON cannot carry is INVALID_ARGUMENT naming the field, and nothing is stored", async () => {
    for (const { name, client } of clients()) {
      const before = (await client.memory.list({ namespace: "par", limit: 100 })).items.length;
      for (const [metadata, field] of [
        [{ score: NaN }, "metadata.score"],
        [{ score: Number.POSITIVE_INFINITY }, "metadata.score"],
        [{ nested: { when: undefined } }, "metadata.nested.when"],
        [{ list: [1, undefined] }, "metadata.list[1]"],
        [{ at: new Date(0) }, "metadata.at"],
      ] as const) {
        const add = () => client.memory.add({ namespace: "par", content: "x", metadata: metadata as never });
        expect(await failure(add), `${name} ${field}`).toEqual({ code: "INVALID_ARGUMENT", field });
      }
      const batch = () =>
        client.memory.addMany({
          namespace: "par",
          memories: [{ content: "ok" }, { content: "bad", metadata: { score: NaN } }],
        });
      expect(await failure(batch), name).toEqual({
        code: "INVALID_ARGUMENT",
        field: "memories[1].metadata.score",
      });
      const session = () => client.session.create({ namespace: "par", metadata: { x: NaN } });
      expect(await failure(session), name).toEqual({ code: "INVALID_ARGUMENT", field: "metadata.x" });
      expect((await client.memory.list({ namespace: "par", limit: 100 })).items.length, name).toBe(before);
    }
  });

  it("a bad events `since` is named `since`, and a good one replays what follows it", async () => {
    for (const { name, client } of clients()) {
      for (const since of [-1, 1.5]) {
        const sub = () => client.events.subscribe({ namespace: "par", since }, () => undefined);
        expect(await failure(sub), `${name} ${since}`).toEqual({ code: "INVALID_ARGUMENT", field: "since" });
      }
      const seen: number[] = [];
      const sub = await client.events.subscribe({ namespace: "par", since: 1 }, (e) => void seen.push(e.seq));
      const deadline = Date.now() + 5_000;
      while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      sub.unsubscribe();
      expect(seen[0], name).toBe(2);
    }
  });

  it("an invalid Date is INVALID_ARGUMENT naming the field, not a RangeError", async () => {
    for (const { name, client } of clients()) {
      const add = () =>
        client.memory.add({ namespace: "par", content: "x", createdAt: new Date(Number.NaN) });
      expect(await failure(add), name).toEqual({ code: "INVALID_ARGUMENT", field: "createdAt" });
    }
  });
});

describe("ids that cannot be a URL path segment", () => {
  it("the server refuses to create a memory or session it could not address afterwards", async () => {
    for (const [path, body, field] of [
      ["/v1/namespaces/par/memories", { content: "x", id: ".." }, "id"],
      [
        "/v1/namespaces/par/memories/batch",
        { memories: [{ content: "a" }, { content: "b", id: "." }] },
        "memories[1].id",
      ],
      ["/v1/namespaces/par/sessions", { id: ".." }, "id"],
    ] as const) {
      const res = await t.fetch(path, { method: "POST", body: JSON.stringify(body) });
      expect(res.status, path).toBe(400);
      const b = (await res.json()) as { error: { code: string; details?: { field?: string } } };
      expect(b.error).toMatchObject({ code: "INVALID_ARGUMENT", details: { field } });
    }
    // Dots inside an id are fine.
    const dotted = await t.root.memory.add({ namespace: "par", content: "x", id: "..." });
    expect((await t.root.memory.get({ namespace: "par", id: "..." })).id).toBe(dotted.id);
  });

  it("the client refuses such ids before sending, instead of reporting a missing memory", async () => {
    const before = (await t.root.memory.list({ namespace: "par", limit: 100 })).items.length;
    for (const op of [
      () => t.root.memory.get({ namespace: "par", id: ".." }),
      () => t.root.memory.delete({ namespace: "par", id: ".." }),
      () => t.root.memory.update({ namespace: "par", id: ".", content: "y" }),
      () => t.root.session.end({ namespace: "par", id: ".." }),
    ]) {
      expect(await failure(op)).toEqual({ code: "INVALID_ARGUMENT", field: "id" });
    }
    expect(
      await failure(() =>
        t.root.knowledgeGraph.getEntity({ namespace: "par", entity: { type: "topic", name: ".." } }),
      ),
    ).toEqual({ code: "INVALID_ARGUMENT", field: "entity.name" });
    expect(await failure(() => t.root.namespace.delete({ namespace: ".." }))).toEqual({
      code: "INVALID_NAMESPACE",
      field: "namespace",
    });
    expect((await t.root.memory.list({ namespace: "par", limit: 100 })).items.length).toBe(before);
  });
});
