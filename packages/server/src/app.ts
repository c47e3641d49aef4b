/**
 * The Loci REST app (Hono + @hono/zod-openapi): authentication, scope checks, validation, the error
 * envelope, metrics and request logs around the routes of SPEC §6.
 *
 * @module
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { wire } from "@loci/client";
import { ERROR_CODES, LociError, type MemoryClient, storageFailure } from "@loci/engine";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import pino, { type Logger } from "pino";
import type { AuditLog } from "./audit.js";
import type { KeyStore } from "./auth/key-store.js";
import type { Principal } from "./auth/scopes.js";
import type { Env, LociApp, RouteContext } from "./context.js";
import { Metrics } from "./metrics.js";
import {
  DEFAULT_AUTH_FAILURE_LIMIT,
  DEFAULT_RATE_LIMIT,
  RateLimiter,
  type RateLimitOptions,
} from "./rate-limit.js";
import { registerAuditRoutes } from "./routes/audit.js";
import { registerEventRoutes } from "./routes/events.js";
import { registerGraphRoutes } from "./routes/graph.js";
import { registerKeyRoutes } from "./routes/keys.js";
import { registerMemoryRoutes } from "./routes/memories.js";
import { registerNamespaceRoutes } from "./routes/namespaces.js";
import { registerSearchRoutes } from "./routes/search.js";
import { registerSessionRoutes } from "./routes/sessions.js";
import { registerSystemRoutes } from "./routes/system.js";
import { registerTenantRoutes } from "./routes/tenants.js";
import type { TenantEngines } from "./tenants/engines.js";

/** Options of {@link createApp}. */
export interface AppOptions {
  /** The engine of a tenant. */
  engineFor: (tenant: string) => Promise<MemoryClient>;
  /** Tenant management for root (`POST/GET/DELETE /v1/tenants`). */
  tenants?: TenantEngines | null;
  /** The key store; `null` turns authentication off (every request acts as root). */
  keys: KeyStore | null;
  /** Where key operations and denied requests are recorded. */
  audit: AuditLog;
  logger?: Logger;
  /** Largest accepted request body in bytes. @default 10 MiB */
  bodyLimitBytes?: number;
  /** Per-key rate limit. @default 100 requests/s sustained, bursts of 200 */
  rateLimit?: RateLimitOptions;
  /**
   * Failed authentications per client address (`perSecond: 0` turns it off). Past the limit, every
   * request from that address is 429 `RATE_LIMITED` without its key being checked, until the bucket
   * refills. @default 1/s sustained, bursts of 20
   */
  authFailureLimit?: RateLimitOptions;
  /** Largest page a list may return: the engines' `limits.pageSize`. @default 1000 */
  pageSize?: number;
  now?: () => number;
}

const ROOT: Principal = { keyId: "auth-off", tenant: "default", role: "root", scopes: [] };

/** The peer address of the request's socket (@hono/node-server's `incoming`); "unknown" elsewhere. */
function clientAddress(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? "unknown";
}

/** A zod issue path as a field path in the engine's style: `memories.0.content` → `memories[0].content`. */
function zodPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`))
    .join("");
}

function errorBody(code: string, message: string, details?: Record<string, unknown>) {
  return { error: { code, message, ...(details ? { details } : {}) } };
}

/** Builds the app; returns it with the shared route context (for shutdown and metrics). */
export function createApp(opts: AppOptions): { app: LociApp; ctx: RouteContext } {
  const ctx: RouteContext = {
    engine: (c) => opts.engineFor(c.get("principal").tenant),
    tenants: opts.tenants ?? null,
    keys: opts.keys,
    metrics: new Metrics(),
    audit: opts.audit,
    logger: opts.logger ?? pino({ level: "silent" }),
    now: opts.now ?? Date.now,
    pageSize: opts.pageSize ?? 1000,
    streams: new Set(),
  };
  const app: LociApp = new OpenAPIHono<Env>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const issues = result.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.length ? zodPath(i.path) : "body"}: ${i.message}`)
        .join("; ");
      const first = result.error.issues[0];
      const field = first?.path.length ? zodPath(first.path) : undefined;
      return c.json(
        errorBody("INVALID_ARGUMENT", `invalid request: ${issues}`, field ? { field } : undefined),
        400,
      );
    },
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });

  app.use("*", async (c, next) => {
    const start = performance.now();
    await next();
    const route = c.req.routePath || "unmatched";
    const seconds = (performance.now() - start) / 1000;
    ctx.metrics.observe(c.req.method, route, c.res.status, seconds);
    const status = c.res.status;
    if (status === 401 || status === 403 || status === 429) {
      const p = c.get("principal");
      ctx.audit.record({
        at: ctx.now(),
        tenant: p?.tenant ?? null,
        keyId: p?.keyId ?? null,
        action: "request.denied",
        target: `${c.req.method} ${new URL(c.req.url).pathname}`,
        outcome: "denied",
        detail: String(status),
      });
    }
    ctx.logger.info(
      {
        method: c.req.method,
        route,
        status: c.res.status,
        ms: Math.round(seconds * 1000),
        key: c.get("principal")?.keyId,
      },
      "request",
    );
  });

  const maxBody = opts.bodyLimitBytes ?? 10 * 1024 * 1024;
  const tooLarge = (c: Context) => c.json(errorBody("PAYLOAD_TOO_LARGE", "request body is too large"), 413);
  const streamedLimit = bodyLimit({ maxSize: maxBody, onError: tooLarge });
  app.use("/v1/*", async (c, next) => {
    // A declared length is checked from the header alone: hono's bodyLimit reads `req.body`, which
    // turns @hono/node-server's lightweight request into a web stream on every request. Chunked
    // bodies (no length) go through it and are counted as they stream.
    const headers = c.req.raw.headers;
    const length = headers.get("content-length");
    if (length !== null && !headers.has("transfer-encoding")) {
      return Number.parseInt(length, 10) > maxBody ? tooLarge(c) : next();
    }
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    return streamedLimit(c, next);
  });

  const failures = new RateLimiter(opts.authFailureLimit ?? DEFAULT_AUTH_FAILURE_LIMIT);
  app.use("/v1/*", async (c, next) => {
    if (!ctx.keys) {
      c.set("principal", ROOT);
      return next();
    }
    const address = clientAddress(c);
    const blocked = failures.wait(address, ctx.now());
    if (blocked > 0) {
      return c.json(
        errorBody("RATE_LIMITED", `too many failed authentications from this address; retry in ${blocked} s`),
        429,
        { "retry-after": String(blocked) },
      );
    }
    const header = c.req.header("authorization") ?? "";
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const principal = token ? await ctx.keys.verify(token, ctx.now()) : null;
    if (!principal) {
      failures.take(address, ctx.now());
      const message = token
        ? "the API key is invalid, revoked or expired"
        : "an API key is required (Authorization: Bearer <key>)";
      return c.json(errorBody("UNAUTHENTICATED", message), 401, { "www-authenticate": "Bearer" });
    }
    c.set("principal", principal);
    return next();
  });

  const limiter = new RateLimiter(opts.rateLimit ?? DEFAULT_RATE_LIMIT);
  app.use("/v1/*", async (c, next) => {
    const wait = limiter.take(c.get("principal").keyId, ctx.now());
    if (wait > 0) {
      return c.json(errorBody("RATE_LIMITED", `rate limit exceeded; retry in ${wait} s`), 429, {
        "retry-after": String(wait),
      });
    }
    return next();
  });

  registerSystemRoutes(app, ctx);
  registerNamespaceRoutes(app, ctx);
  registerMemoryRoutes(app, ctx);
  registerSearchRoutes(app, ctx);
  registerSessionRoutes(app, ctx);
  registerEventRoutes(app, ctx);
  registerGraphRoutes(app, ctx);
  registerKeyRoutes(app, ctx);
  registerAuditRoutes(app, ctx);
  registerTenantRoutes(app, ctx);

  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Loci API", version: "0.1.0", description: "Memory layer for teams of AI agents" },
  });

  app.notFound((c) =>
    c.json(errorBody("NOT_FOUND", `no route ${c.req.method} ${new URL(c.req.url).pathname}`), 404),
  );
  app.onError((err, c: Context) => {
    // A full or read-only disk reached outside a namespace write (the catalog, key stores) is
    // still its typed error (507 / 503), never a 500.
    const typed = LociError.isInstance(err) ? err : storageFailure(err);
    if (typed) {
      if (typed.status >= 500)
        ctx.logger.warn({ code: typed.code, msg: typed.message }, "storage unavailable");
      const headers: Record<string, string> =
        typed.code === "STORAGE_READ_ONLY" ? { "retry-after": "5" } : {};
      // The engine names fields in camelCase; the wire in snake_case (`vector_index.m`).
      const named = wire.renameErrorField(typed, wire.fieldToWire);
      return c.json(errorBody(typed.code, named.message, named.details), typed.status as 400, headers);
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      const code =
        status === 413 ? "PAYLOAD_TOO_LARGE" : status === 401 ? "UNAUTHENTICATED" : "INVALID_ARGUMENT";
      const message = err.message || "invalid request";
      return c.json(
        errorBody(code, status === 400 && /JSON/i.test(message) ? "request body is not valid JSON" : message),
        status,
      );
    }
    ctx.logger.error({ err }, "unhandled error");
    return c.json(errorBody("INTERNAL", ERROR_CODES.INTERNAL.description), 500);
  });
  return { app, ctx };
}
