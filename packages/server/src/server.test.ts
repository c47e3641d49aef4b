import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HashEmbedder, type LociEvent } from "@loci/engine";
import { describe, expect, it } from "vitest";
import { type ServerOptions, startServer } from "./server.js";
import { startTestServer } from "./testing/test-server.js";

/** A server on its own data directory, with a known root key and the hash embedder. */
async function startOwn(opts: Partial<ServerOptions>) {
  const dataDir = mkdtempSync(join(tmpdir(), "loci-own-"));
  const root = "root-key-0123456789";
  const s = await startServer({
    dataDir,
    port: 0,
    embedder: new HashEmbedder({ dimensions: 32 }),
    rootKey: root,
    ...opts,
  });
  return { s, root, dataDir };
}

const waitFor = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
};

/** Reads SSE messages from a raw response until `count` arrived, then aborts. */
async function readSse(
  url: string,
  headers: Record<string, string>,
  count: number,
): Promise<{ id: string; data: LociEvent }[]> {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  const out: { id: string; data: LociEvent }[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let i = buffer.indexOf("\n\n");
      while (i >= 0) {
        const block = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        const id = /^id: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (id && data) out.push({ id, data: JSON.parse(data) });
        if (out.length >= count) {
          controller.abort();
          return out;
        }
        i = buffer.indexOf("\n\n");
      }
    }
  } catch (err) {
    if (!controller.signal.aborted) throw err;
  }
  return out;
}

describe("event stream", () => {
  it("a client that disconnects and resumes with Last-Event-ID receives every event exactly once", async () => {
    const t = await startTestServer();
    try {
      await t.root.namespace.create({ name: "feed" });
      const url = `${t.url}/v1/namespaces/feed/events`;
      const auth = { authorization: `Bearer ${t.rootKey}` };
      const writer = (async () => {
        for (let i = 0; i < 30; i++) await t.root.memory.add({ namespace: "feed", content: `event ${i}` });
      })();
      const first = await readSse(`${url}?since=0`, auth, 10);
      const resumed = await readSse(url, { ...auth, "last-event-id": first.at(-1)!.id }, 20);
      await writer;
      const seqs = [...first, ...resumed].map((m) => Number(m.id));
      expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => seqs[0]! + i));
      expect([...first, ...resumed].map((m) => m.data.type)).toEqual(Array(30).fill("memory.added"));
    } finally {
      await t.stop();
    }
  });

  it("LociClient resumes automatically after the server restarts", async () => {
    const t = await startTestServer();
    const dataDir = t.dataDir;
    await t.root.namespace.create({ name: "feed" });
    const got: LociEvent[] = [];
    const client = t.client(t.rootKey);
    await t.root.memory.add({ namespace: "feed", content: "before" });
    const sub = await client.events.subscribe({ namespace: "feed", since: 0 }, (e) => {
      got.push(e);
    });
    await waitFor(() => got.length === 1);
    const port = t.server.port;
    await t.stop({ keepData: true });
    const again = await startServer({
      dataDir,
      port,
      embedder: new HashEmbedder({ dimensions: 256 }),
      rootKey: t.rootKey,
      logger: (await import("pino")).default({ level: "silent" }),
    });
    try {
      await t.root.memory.add({ namespace: "feed", content: "after restart 1" });
      await t.root.memory.add({ namespace: "feed", content: "after restart 2" });
      await waitFor(() => got.length === 3);
      expect(got.map((e) => e.seq)).toEqual([got[0]!.seq, got[0]!.seq + 1, got[0]!.seq + 2]);
    } finally {
      sub.unsubscribe();
      await again.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("server lifecycle", () => {
  it("finishes acknowledged writes on shutdown: every 201 survives a restart", async () => {
    const t = await startTestServer();
    const dataDir = t.dataDir;
    const acked: string[] = [];
    const writes = Array.from({ length: 40 }, (_, i) =>
      t.root.memory.add({ namespace: "w", content: `write ${i}` }).then(
        (m) => acked.push(m.id),
        () => undefined,
      ),
    );
    await new Promise((r) => setTimeout(r, 5));
    await t.stop({ keepData: true });
    await Promise.all(writes);
    const again = await startTestServer({ dataDir });
    try {
      for (const id of acked) expect((await again.root.memory.get({ namespace: "w", id })).id).toBe(id);
    } finally {
      await again.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("turns authentication off only when asked, and only on loopback", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "loci-noauth-"));
    const embedder = new HashEmbedder({ dimensions: 64 });
    await expect(
      startServer({ dataDir, port: 0, host: "0.0.0.0", auth: false, embedder }),
    ).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    const open = await startTestServer({ auth: false, embedder });
    try {
      const res = await fetch(`${open.url}/v1/namespaces/dev/memories`, {
        method: "POST",
        body: JSON.stringify({ content: "no key needed" }),
      });
      expect(res.status).toBe(201);
    } finally {
      await open.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("limits failed authentications per address: 20 by default, then 429 without checking the key", async () => {
    const { s, root, dataDir } = await startOwn({});
    const get = (key: string) =>
      fetch(`${s.url}/v1/namespaces`, { headers: { authorization: `Bearer ${key}` } });
    try {
      for (let i = 0; i < 5; i++) expect((await get(root)).status).toBe(200); // successes cost nothing
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await get(`wrong-${i}`)).status);
      expect(statuses).toEqual(Array(20).fill(401));
      const blocked = await get(root);
      expect(blocked.status).toBe(429);
      expect(blocked.headers.get("retry-after")).toBe("1");
      expect(await blocked.json()).toMatchObject({ error: { code: "RATE_LIMITED" } });
    } finally {
      await s.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("lets an address in again once its failure bucket refills (authFailureLimit, LOCI_AUTH_FAILURE_LIMIT)", async () => {
    const { s, root, dataDir } = await startOwn({ authFailureLimit: { perSecond: 10, burst: 2 } });
    const get = (key?: string) =>
      fetch(`${s.url}/v1/namespaces`, key ? { headers: { authorization: `Bearer ${key}` } } : {});
    try {
      expect((await get()).status).toBe(401); // no key counts as a failure too
      expect((await get("wrong")).status).toBe(401);
      expect((await get(root)).status).toBe(429);
      await new Promise((r) => setTimeout(r, 150));
      expect((await get(root)).status).toBe(200);
    } finally {
      await s.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses to start on a malformed limit variable, before opening anything", async () => {
    for (const [name, value] of [
      ["LOCI_AUTH_FAILURE_LIMIT", "lots"],
      ["LOCI_RATE_LIMIT", "-1"],
      ["LOCI_LIMITS", "{batchSize: 5"],
      ["LOCI_LIMITS", "null"],
    ] as const) {
      const saved = process.env[name];
      process.env[name] = value;
      const dataDir = mkdtempSync(join(tmpdir(), "loci-env-"));
      try {
        await expect(
          startServer({
            dataDir,
            port: 0,
            embedder: new HashEmbedder({ dimensions: 8 }),
            rootKey: "k".repeat(20),
          }),
        ).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringContaining(name) });
        expect(readdirSync(dataDir)).toEqual([]); // nothing was opened or created
      } finally {
        if (saved === undefined) delete process.env[name];
        else process.env[name] = saved;
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  });

  it("generates and stores a root key on first start when none is configured", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "loci-root-"));
    const printed: string[] = [];
    const logger = (await import("pino")).default({ level: "silent" });
    const prev = process.env.LOCI_ROOT_KEY;
    delete process.env.LOCI_ROOT_KEY;
    try {
      const s = await startServer({
        dataDir,
        port: 0,
        embedder: new HashEmbedder({ dimensions: 64 }),
        logger,
        onRootKey: (k) => printed.push(k),
      });
      await s.close();
      const s2 = await startServer({
        dataDir,
        port: 0,
        embedder: new HashEmbedder({ dimensions: 64 }),
        logger,
        onRootKey: (k) => printed.push(k),
      });
      expect(printed).toHaveLength(1);
      const res = await fetch(`${s2.url}/v1/namespaces`, {
        headers: { authorization: `Bearer ${printed[0]}` },
      });
      expect(res.status).toBe(200);
      await s2.close();
    } finally {
      if (prev !== undefined) process.env.LOCI_ROOT_KEY = prev;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("bounds the memories each tenant's open namespaces hold (LOCI_MAX_OPEN_MEMORIES)", async () => {
    const logger = (await import("pino")).default({ level: "silent" });
    process.env.LOCI_MAX_OPEN_MEMORIES = "15";
    const { s, root, dataDir } = await startOwn({ logger }).finally(() => {
      delete process.env.LOCI_MAX_OPEN_MEMORIES;
    });
    const gauge = async () =>
      Number(/^loci_open_namespaces (\d+)$/m.exec(await (await fetch(`${s.url}/metrics`)).text())?.[1]);
    try {
      for (const ns of ["a", "b", "c"]) {
        const res = await fetch(`${s.url}/v1/namespaces/${ns}/memories/batch`, {
          method: "POST",
          headers: { authorization: `Bearer ${root}`, "content-type": "application/json" },
          body: JSON.stringify({
            memories: Array.from({ length: 10 }, (_, i) => ({ content: `${ns} ${i}` })),
          }),
        });
        expect(res.status).toBe(201);
      }
      await s.engine.whenIndexed();
      // 30 memories open against a bound of 15: only the last namespace used stays open.
      for (let i = 0; i < 100 && (await gauge()) > 1; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await gauge()).toBe(1);
    } finally {
      await s.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("bounds each tenant's open namespaces (maxOpenNamespacesPerTenant) and reports them in /metrics", async () => {
    const logger = (await import("pino")).default({ level: "silent" });
    const { s, root, dataDir } = await startOwn({ logger, maxOpenNamespacesPerTenant: 2 });
    const call = (path: string, body?: object) =>
      fetch(`${s.url}${path}`, {
        method: body ? "POST" : "GET",
        headers: { authorization: `Bearer ${root}`, "content-type": "application/json" },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    const gauge = async () =>
      Number(/^loci_open_namespaces (\d+)$/m.exec(await (await fetch(`${s.url}/metrics`)).text())?.[1]);
    try {
      for (const ns of ["a", "b", "c", "d"]) {
        expect((await call(`/v1/namespaces/${ns}/memories`, { content: `note in ${ns}` })).status).toBe(201);
      }
      await s.engine.whenIndexed();
      // Each add's namespace went idle once its vector was in the graph; the oldest ones were closed.
      for (let i = 0; i < 100 && (await gauge()) > 2; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await gauge()).toBe(2);
      // A closed namespace opens again on use, with its data.
      const listed = (await (await call("/v1/namespaces/a/memories")).json()) as {
        items: { content: string }[];
      };
      expect(listed.items.map((m) => m.content)).toEqual(["note in a"]);
    } finally {
      await s.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("logs each failure of an engine's background work with its tenant and counts it in /metrics", async () => {
    const lines: Record<string, unknown>[] = [];
    const pino = (await import("pino")).default;
    const logger = pino({ level: "warn" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const { s, root, dataDir } = await startOwn({ logger });
    try {
      await s.engine.namespace.create({ name: "ns" });
      // An in-process subscriber that throws: the engine reports it; the server logs and counts it.
      await s.engine.events.subscribe({ namespace: "ns", types: ["memory.added"] }, () => {
        throw new Error("handler bug");
      });
      const res = await fetch(`${s.url}/v1/namespaces/ns/memories`, {
        method: "POST",
        headers: { authorization: `Bearer ${root}`, "content-type": "application/json" },
        body: JSON.stringify({ content: "one" }),
      });
      expect(res.status).toBe(201);
      await waitFor(() => lines.some((l) => l.work === "event-handler"));
      expect(lines.find((l) => l.work === "event-handler")).toMatchObject({
        level: 40,
        msg: "background event-handler failed",
        tenant: "default",
        namespace: "ns",
        retryInMs: null,
        err: { message: "handler bug" },
      });
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      expect(metrics).toMatch(/^loci_background_failures_total 1$/m);
    } finally {
      await s.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

/** Sends raw HTTP/1.1 requests on one keep-alive socket; resolves with the status line of each response. */
async function statusesOnOneSocket(port: number, requests: string[]): Promise<string[]> {
  const socket = connect({ host: "127.0.0.1", port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let received = "";
  socket.on("data", (d: Buffer) => {
    received += d.toString("latin1");
  });
  const statuses: string[] = [];
  try {
    for (const request of requests) {
      const before = received.length;
      socket.write(request);
      const end = Date.now() + 5000;
      // A response is complete when its declared content-length has arrived.
      for (;;) {
        const text = received.slice(before);
        const head = text.indexOf("\r\n\r\n");
        const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? Number.NaN);
        if (head >= 0 && text.length >= head + 4 + length) {
          statuses.push(text.slice(0, text.indexOf("\r\n")));
          break;
        }
        if (socket.destroyed || Date.now() > end) {
          statuses.push(socket.destroyed ? "closed" : "timeout");
          return statuses;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    return statuses;
  } finally {
    socket.destroy();
  }
}

describe("request bodies", () => {
  it("a body the server answers without reading (401, 404) leaves the keep-alive connection usable", async () => {
    const t = await startTestServer();
    try {
      await t.root.namespace.create({ name: "kept" });
      const body = JSON.stringify({ query: "x".repeat(20_000), limit: 3 });
      const post = (path: string, auth: string) =>
        `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${auth}content-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
      const get = `GET /v1/namespaces/kept HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${t.rootKey}\r\n\r\n`;
      const statuses = await statusesOnOneSocket(t.server.port, [
        post("/v1/namespaces/kept/search", ""),
        get,
        post("/v1/no-such-route", `authorization: Bearer ${t.rootKey}\r\n`),
        get,
      ]);
      expect(statuses).toEqual([
        "HTTP/1.1 401 Unauthorized",
        "HTTP/1.1 200 OK",
        "HTTP/1.1 404 Not Found",
        "HTTP/1.1 200 OK",
      ]);
    } finally {
      await t.stop();
    }
  });

  it("a JSON body sent as text/plain or without a content type is read as JSON; an empty DELETE works", async () => {
    const t = await startTestServer();
    try {
      for (const type of ["text/plain", null]) {
        const res = await fetch(`${t.url}/v1/namespaces`, {
          method: "POST",
          headers: { authorization: `Bearer ${t.rootKey}`, ...(type ? { "content-type": type } : {}) },
          body: JSON.stringify({ name: `typed-${type ? "text" : "none"}` }),
        });
        expect(res.status, String(type)).toBe(201);
      }
      const del = await fetch(`${t.url}/v1/namespaces/typed-text`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${t.rootKey}` },
      });
      expect(del.status).toBe(204);
    } finally {
      await t.stop();
    }
  });
  it("a chunked body (no content-length) is limited as it streams: under the limit accepted, over it 413", async () => {
    const t = await startTestServer({ bodyLimitBytes: 64 * 1024 });
    try {
      const send = (text: string) =>
        fetch(`${t.url}/v1/namespaces/chunked/memories`, {
          method: "POST",
          headers: { authorization: `Bearer ${t.rootKey}`, "content-type": "application/json" },
          body: new ReadableStream({
            start(controller) {
              const bytes = new TextEncoder().encode(text);
              for (let i = 0; i < bytes.length; i += 8192) controller.enqueue(bytes.subarray(i, i + 8192));
              controller.close();
            },
          }),
          duplex: "half",
        } as RequestInit);
      const small = await send(JSON.stringify({ content: "streamed in chunks" }));
      expect(small.status).toBe(201);
      const large = await send(JSON.stringify({ content: "y".repeat(70_000) }));
      expect(large.status).toBe(413);
      expect(((await large.json()) as { error: { code: string } }).error.code).toBe("PAYLOAD_TOO_LARGE");
      const list = await t.root.memory.list({ namespace: "chunked" });
      expect(list.items.map((m) => m.content)).toEqual(["streamed in chunks"]);
    } finally {
      await t.stop();
    }
  });
});
