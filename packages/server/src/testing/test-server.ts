/**
 * Test helper: a real server on 127.0.0.1 (port 0) over a temp data directory, with a deterministic
 * embedder and a known root key.
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LociClient } from "@loci/client";
import { type Embedder, HashEmbedder, type Limits } from "@loci/engine";
import pino from "pino";
import type { RateLimitOptions } from "../rate-limit.js";
import { type RunningServer, startServer } from "../server.js";

/** What {@link startTestServer} returns. */
export interface TestServer {
  server: RunningServer;
  url: string;
  rootKey: string;
  dataDir: string;
  /** A client with the root key. */
  root: LociClient;
  /** A client with any key. */
  client(apiKey?: string): LociClient;
  /** Creates a key through the API and returns its secret. */
  createKey(body: Record<string, unknown>): Promise<string>;
  /** Raw fetch with an optional key. */
  fetch(path: string, init?: RequestInit & { key?: string | null }): Promise<Response>;
  /** Stops the server; removes the directory unless `keepData`. */
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

/** Starts a server for tests. */
export async function startTestServer(
  opts: {
    embedder?: Embedder;
    auth?: boolean;
    dataDir?: string;
    /** `"sqlite"` or a `postgres://…` URL (see `ServerOptions.storage`). @default "sqlite" */
    storage?: string;
    bodyLimitBytes?: number;
    rateLimit?: RateLimitOptions;
    /** Failed authentications per address. @default off (tests send many bad keys on purpose) */
    authFailureLimit?: RateLimitOptions;
    /** Input limits (see `ServerOptions.limits`). */
    limits?: Partial<Limits>;
  } = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "loci-server-"));
  const rootKey = "test-root-key-0123456789abcdef";
  const server = await startServer({
    dataDir,
    storage: opts.storage ?? "sqlite",
    port: 0,
    host: "127.0.0.1",
    embedder: opts.embedder ?? new HashEmbedder({ dimensions: 256 }),
    rootKey,
    auth: opts.auth ?? true,
    logger: pino({ level: "silent" }),
    ...(opts.bodyLimitBytes ? { bodyLimitBytes: opts.bodyLimitBytes } : {}),
    rateLimit: opts.rateLimit ?? { perSecond: 0, burst: 0 },
    authFailureLimit: opts.authFailureLimit ?? { perSecond: 0, burst: 0 },
    ...(opts.limits ? { limits: opts.limits } : {}),
  });
  const t: TestServer = {
    server,
    url: server.url,
    rootKey,
    dataDir,
    root: new LociClient({ baseUrl: server.url, apiKey: rootKey, retryDelayMs: 10 }),
    client: (apiKey) =>
      new LociClient({ baseUrl: server.url, ...(apiKey ? { apiKey } : {}), retryDelayMs: 10 }),
    async createKey(body) {
      const res = await t.fetch("/v1/keys", { method: "POST", body: JSON.stringify(body) });
      if (res.status !== 201) throw new Error(`key creation failed: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { key: string }).key;
    },
    fetch(path, init = {}) {
      const { key, ...rest } = init;
      const headers = new Headers(rest.headers);
      const k = key === undefined ? rootKey : key;
      if (k !== null) headers.set("authorization", `Bearer ${k}`);
      if (rest.body !== undefined && !headers.has("content-type"))
        headers.set("content-type", "application/json");
      return fetch(server.url + path, { ...rest, headers });
    },
    async stop(o = {}) {
      await server.close();
      if (!o.keepData && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return t;
}
