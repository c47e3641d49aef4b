/**
 * Event subscriptions over connections that fail silently, which the real server cannot be made to
 * do on demand: a scripted HTTP server on 127.0.0.1 plays a stream that stops sending anything
 * (a half-open socket) and a port with nothing listening.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { LociEvent } from "@loci/engine";
import { LociError } from "@loci/engine";
import { afterEach, describe, expect, it } from "vitest";
import { HttpTransport } from "./http.js";
import { subscribeSse } from "./sse.js";

let server: Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(null)));
  server = null;
});

const event = (seq: number) =>
  `id: ${seq}\nevent: memory.added\ndata: ${JSON.stringify({ seq, namespace: "ns", type: "memory.added", id: `m${seq}`, at: "2026-01-01T00:00:00.000Z", data: {} })}\n\n`;

describe("subscribeSse", () => {
  it("replaces a connection that goes silent, resuming after the last event", async () => {
    const requests: IncomingMessage[] = [];
    server = createServer((req, res) => {
      requests.push(req);
      res.writeHead(200, { "content-type": "text/event-stream" });
      // Each connection sends one event, then nothing at all (no heartbeat, no FIN).
      res.write(event(requests.length));
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const http = new HttpTransport({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    const got: LociEvent[] = [];
    const sub = await subscribeSse(http, { namespace: "ns", since: 0 }, (e) => void got.push(e), {
      idleTimeoutMs: 150,
      reconnectDelayMs: 10,
    });
    try {
      const deadline = Date.now() + 5_000;
      while (got.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(got.map((e) => e.seq)).toEqual([1, 2]);
      expect(requests[0]!.url).toContain("since=0");
      expect(requests[0]!.headers["last-event-id"]).toBeUndefined();
      expect(requests[1]!.headers["last-event-id"]).toBe("1");
    } finally {
      sub.unsubscribe();
    }
  });

  it("a server that cannot be reached is UNAVAILABLE, as a LociError", async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const http = new HttpTransport({ baseUrl: `http://127.0.0.1:${port}` });
    const err = await subscribeSse(http, { namespace: "ns" }, () => undefined).catch((e: unknown) => e);
    expect(LociError.isInstance(err) && err.code).toBe("UNAVAILABLE");
  });
});
