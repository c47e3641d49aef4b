/**
 * Transport behaviour under faults the real server cannot be told to produce on demand (503 bursts,
 * slow responses, dropped connections): a scripted HTTP server on 127.0.0.1 plays them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { LociError, NotFoundError, ValidationError } from "@loci/engine";
import { afterEach, describe, expect, it } from "vitest";
import { HttpTransport } from "./http.js";

type Step = (req: IncomingMessage, res: ServerResponse) => void;
let server: Server;
let hits: { method: string; url: string }[];

async function script(steps: Step[]): Promise<string> {
  hits = [];
  let i = 0;
  server = createServer((req, res) => {
    hits.push({ method: req.method!, url: req.url! });
    (steps[Math.min(i++, steps.length - 1)] ?? (() => res.end()))(req, res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Step =>
  (_req, res) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
const drop: Step = (req) => req.socket.destroy();

describe("HttpTransport", () => {
  it("retries safe requests on 503, 429 (honouring Retry-After) and dropped connections", async () => {
    const url = await script([
      json(503, { error: { code: "UNAVAILABLE", message: "busy" } }),
      drop,
      json(429, { error: { code: "RATE_LIMITED", message: "slow down" } }, { "retry-after": "0" }),
      json(200, { ok: true }),
    ]);
    const http = new HttpTransport({ baseUrl: url, retries: 3, retryDelayMs: 5 });
    const res = await http.request<{ ok: boolean }>({ method: "GET", path: "/v1/x", safe: true });
    expect(res.body).toEqual({ ok: true });
    expect(hits).toHaveLength(4);
  });

  it("never retries writes, and gives up after the retry budget", async () => {
    const url = await script([json(503, { error: { code: "UNAVAILABLE", message: "busy" } })]);
    const http = new HttpTransport({ baseUrl: url, retries: 2, retryDelayMs: 5 });
    const write = await http
      .request({ method: "POST", path: "/v1/w", body: {}, safe: false })
      .catch((e) => e);
    expect(write.code).toBe("UNAVAILABLE");
    expect(hits).toHaveLength(1);
    const read = await http.request({ method: "GET", path: "/v1/r", safe: true }).catch((e) => e);
    expect(read.code).toBe("UNAVAILABLE");
    expect(hits).toHaveLength(4);
  });

  it("maps error codes to the engine's error classes", async () => {
    const url = await script([
      json(404, { error: { code: "MEMORY_NOT_FOUND", message: "no memory" } }),
      json(400, { error: { code: "INVALID_ARGUMENT", message: "bad", details: { field: "content" } } }),
      json(500, { oops: true }),
    ]);
    const http = new HttpTransport({ baseUrl: url, retries: 0 });
    const nf = await http.request({ method: "GET", path: "/a", safe: true }).catch((e) => e);
    expect(nf).toBeInstanceOf(NotFoundError);
    expect(nf.code).toBe("MEMORY_NOT_FOUND");
    const bad = await http.request({ method: "GET", path: "/b", safe: true }).catch((e) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect(bad.details).toEqual({ field: "content" });
    const internal = await http.request({ method: "GET", path: "/c", safe: true }).catch((e) => e);
    expect(LociError.isInstance(internal) && internal.code).toBe("INTERNAL");
  });

  it("times out, and honours a caller's AbortSignal without retrying", async () => {
    const url = await script([(_req, res) => setTimeout(() => res.end("{}"), 2_000)]);
    const slow = new HttpTransport({ baseUrl: url, timeoutMs: 50, retries: 0 });
    expect((await slow.request({ method: "GET", path: "/t", safe: true }).catch((e) => e)).code).toBe(
      "TIMEOUT",
    );
    const controller = new AbortController();
    const http = new HttpTransport({ baseUrl: url, retries: 3, retryDelayMs: 5 });
    const pending = http.request({ method: "GET", path: "/t", safe: true, signal: controller.signal });
    setTimeout(() => controller.abort(new Error("caller gave up")), 30);
    await expect(pending).rejects.toThrow("caller gave up");
    expect(hits.length).toBe(2);
  });

  it("sends the bearer key and JSON bodies", async () => {
    let seen: { auth?: string; type?: string; body?: string } = {};
    const url = await script([
      (req, res) => {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
          seen = { auth: req.headers.authorization, type: req.headers["content-type"], body };
          res.writeHead(204).end();
        });
      },
    ]);
    const http = new HttpTransport({ baseUrl: `${url}/`, apiKey: "k-123" });
    const res = await http.request({ method: "POST", path: "/v1/x", body: { a: 1 }, safe: false });
    expect(res).toEqual({ status: 204, body: null });
    expect(seen).toEqual({ auth: "Bearer k-123", type: "application/json", body: '{"a":1}' });
  });
});
