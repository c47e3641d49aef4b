import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HashEmbedder, type LociEvent } from "@loci/engine";
import { describe, expect, it } from "vitest";
import { startServer } from "./server.js";
import { startTestServer } from "./testing/test-server.js";

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
});
