/**
 * Replies that are not the server's JSON (a reverse proxy's HTML error page, a reply cut off or
 * stalled mid-body) still end as typed `LociError`s, and reads are retried after a lost reply.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { LociError } from "@loci/engine";
import { afterEach, describe, expect, it } from "vitest";
import { HttpTransport } from "./http.js";

type Step = (req: IncomingMessage, res: ServerResponse) => void;
let server: Server;
let hits = 0;

async function script(steps: Step[]): Promise<string> {
  hits = 0;
  server = createServer((req, res) => steps[Math.min(hits++, steps.length - 1)]!(req, res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const html =
  (status: number): Step =>
  (_req, res) => {
    res.writeHead(status, { "content-type": "text/html" });
    res.end("<html><body>proxy error</body></html>");
  };
const ok: Step = (_req, res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end('{"ok":true}');
};
/** Sends the headers and half a body, then drops the connection. */
const cut: Step = (req, res) => {
  res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
  res.write('{"ok":');
  setTimeout(() => req.socket.destroy(), 10);
};
/** Sends the headers and half a body, then nothing. */
const stall: Step = (_req, res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.write('{"ok":');
};

const failure = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e,
  );

describe("HttpTransport replies", () => {
  it("turns a non-JSON error page into a typed error by its status", async () => {
    for (const [status, code] of [
      [502, "UNAVAILABLE"],
      [504, "TIMEOUT"],
      [500, "INTERNAL"],
      [404, "NOT_FOUND"],
      [401, "UNAUTHENTICATED"],
      [403, "FORBIDDEN"],
      [413, "PAYLOAD_TOO_LARGE"],
    ] as const) {
      const url = await script([html(status)]);
      const http = new HttpTransport({ baseUrl: url, retries: 0 });
      const err = await failure(http.request({ method: "POST", path: "/v1/x", body: {}, safe: false }));
      expect(LociError.isInstance(err), `${status}: ${String(err)}`).toBe(true);
      expect((err as LociError).code).toBe(code);
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    await script([ok]);
  });

  it("retries reads after a gateway error page, then succeeds", async () => {
    const url = await script([html(502), html(504), ok]);
    const http = new HttpTransport({ baseUrl: url, retries: 3, retryDelayMs: 5 });
    expect((await http.request({ method: "GET", path: "/v1/r", safe: true })).body).toEqual({ ok: true });
    expect(hits).toBe(3);
  });

  it("a 2xx reply that is not JSON is an INTERNAL error, not a SyntaxError", async () => {
    const url = await script([
      (_req, res) => {
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("hello");
      },
    ]);
    const http = new HttpTransport({ baseUrl: url, retries: 0 });
    const err = await failure(http.request({ method: "GET", path: "/v1/r", safe: true }));
    expect(LociError.isInstance(err) && err.code).toBe("INTERNAL");
  });

  it("retries a read whose reply was cut off mid-body, and says UNAVAILABLE when it keeps failing", async () => {
    const url = await script([cut, ok]);
    const http = new HttpTransport({ baseUrl: url, retries: 2, retryDelayMs: 5 });
    expect((await http.request({ method: "GET", path: "/v1/r", safe: true })).body).toEqual({ ok: true });
    expect(hits).toBe(2);

    const always = await script([cut]);
    const once = new HttpTransport({ baseUrl: always, retries: 1, retryDelayMs: 5 });
    const err = await failure(once.request({ method: "GET", path: "/v1/r", safe: true }));
    expect(LociError.isInstance(err) && err.code).toBe("UNAVAILABLE");
    expect(hits).toBe(2);
  });

  it("a body that stalls past the timeout is TIMEOUT", async () => {
    const url = await script([stall]);
    const http = new HttpTransport({ baseUrl: url, retries: 0, timeoutMs: 100 });
    const err = await failure(http.request({ method: "GET", path: "/v1/r", safe: true }));
    expect(LociError.isInstance(err) && err.code).toBe("TIMEOUT");
  });

  it("never retries an unkeyed write whose reply was lost", async () => {
    const url = await script([cut, ok]);
    const http = new HttpTransport({ baseUrl: url, retries: 3, retryDelayMs: 5 });
    const err = await failure(http.request({ method: "POST", path: "/v1/w", body: {}, safe: false }));
    expect(LociError.isInstance(err) && err.code).toBe("UNAVAILABLE");
    expect(hits).toBe(1);
  });
});
