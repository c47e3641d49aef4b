/**
 * `startServer`: the engine, the key store and the app behind Node's HTTP server, with graceful
 * shutdown (stop accepting, close event streams, finish in-flight writes, close databases).
 *
 * @module
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import {
  type Embedder,
  type Limits,
  type Loci,
  resolveLimits,
  StorageError,
  ValidationError,
} from "@loci/engine";
import pg from "pg";
import pino, { type Logger } from "pino";
import { createApp } from "./app.js";
import { AuditLog } from "./audit.js";
import { PostgresKeyRows } from "./auth/key-rows-postgres.js";
import { SqliteKeyRows } from "./auth/key-rows-sqlite.js";
import { KeyStore } from "./auth/key-store.js";
import type { RateLimitOptions } from "./rate-limit.js";
import { migrateSystem } from "./system/postgres-system.js";
import { TenantEngines } from "./tenants/engines.js";
import { loadMasterKey } from "./tenants/master-key.js";
import { PostgresTenantStore } from "./tenants/postgres-tenant-store.js";
import { SqliteTenantStore } from "./tenants/sqlite-tenant-store.js";
import type { TenantStore } from "./tenants/tenant-store.js";

/** Options of {@link startServer}. */
export interface ServerOptions {
  /** @default process.env.LOCI_DATA_DIR ?? "./loci-data" */
  dataDir?: string;
  /**
   * Where tenants' data, API keys and the tenant registry live: `"sqlite"` (the embedded default,
   * under `dataDir`) or a `postgres://…` connection string shared by any number of stateless servers.
   * @default process.env.LOCI_STORAGE ?? "sqlite"
   */
  storage?: string;
  /** Connections of the PostgreSQL pool (shared by every tenant of this server). @default 10 */
  postgresConnections?: number;
  /**
   * On PostgreSQL: keep each namespace's ANN and keyword snapshots under `dataDir` (this server's own
   * directory), so opening a namespace loads them and catches up instead of rebuilding its indexes
   * from the database. The files are unencrypted derived copies of the memories' vectors and index
   * terms. Env LOCI_PG_SNAPSHOTS=on. @default false
   */
  postgresSnapshots?: boolean;
  /** @default process.env.LOCI_PORT ?? 3300 (0 = any free port) */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  embedder: Embedder;
  /** Root key (else LOCI_ROOT_KEY, else generated at first start and printed once). */
  rootKey?: string;
  /** Authentication; off only when explicitly false (LOCI_AUTH=off), and only on loopback. @default true */
  auth?: boolean;
  logger?: Logger;
  bodyLimitBytes?: number;
  /** Per-key rate limit (env LOCI_RATE_LIMIT=<per second>,<burst>). @default 100/s, bursts of 200 */
  rateLimit?: RateLimitOptions;
  /**
   * Failed authentications per client address (env LOCI_AUTH_FAILURE_LIMIT=<per second>,<burst>;
   * "0" turns it off), see `AppOptions.authFailureLimit`. @default 1/s, bursts of 20
   */
  authFailureLimit?: RateLimitOptions;
  /** Master key wrapping the tenants' data keys (else LOCI_MASTER_KEY, else `<dataDir>/system/master.key`). */
  masterKey?: string;
  /** Namespaces one tenant may hold. @default 10000 */
  maxNamespacesPerTenant?: number;
  /**
   * Namespaces one tenant's engine keeps open (`LociOptions.maxOpenNamespaces`; env
   * LOCI_MAX_OPEN_NAMESPACES). @default 1000
   */
  maxOpenNamespacesPerTenant?: number;
  /**
   * Memories one tenant's open namespaces may hold together (`LociOptions.maxOpenMemories`; env
   * LOCI_MAX_OPEN_MEMORIES). @default unlimited
   */
  maxOpenMemoriesPerTenant?: number;
  /**
   * Input limits (content chars, batch size, page size, search limit, query chars, metadata bytes,
   * filter depth/conditions/list length). Env: LOCI_LIMITS as JSON, e.g. `{"contentChars":20000}`.
   */
  limits?: Partial<Limits>;
  /** Called with a newly generated root key (default: printed to stderr). */
  onRootKey?: (key: string) => void;
}

/** A running server. */
export interface RunningServer {
  url: string;
  port: number;
  engine: Loci;
  /** Graceful shutdown. */
  close(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

/**
 * Rewrites a non-JSON content type of a body request to JSON (so `curl -d '{…}'` works as written),
 * and drops the content type of an empty body (so a route whose body is optional sees none). It
 * reads headers only: touching `req.body` would turn @hono/node-server's lightweight request into a
 * full web `Request` with a web stream, and the JSON routes then could not read the body directly.
 */
function normalizeJson(req: Request): Request {
  if (req.method === "GET" || req.method === "HEAD") return req;
  const ct = req.headers.get("content-type") ?? "";
  const length = req.headers.get("content-length");
  if ((length === null || length === "0") && !req.headers.has("transfer-encoding")) {
    // An empty body is no body (fetch sends `Content-Length: 0` on a body-less POST): a route whose
    // body is optional then acts as if none was sent, one whose body is required still answers 400.
    if (ct === "") return req;
    const headers = new Headers(req.headers);
    headers.delete("content-type");
    return new Request(req, { headers, duplex: "half" } as RequestInit);
  }
  if (/^application\/(.+\+)?json/i.test(ct)) return req;
  if (ct !== "" && !/^(application\/x-www-form-urlencoded|text\/plain)/i.test(ct)) return req;
  const headers = new Headers(req.headers);
  headers.set("content-type", "application/json");
  return new Request(req, { headers, duplex: "half" } as RequestInit);
}

/** Parses a JSON object variable such as `LOCI_LIMITS` (unset: `{}`). */
function parseJsonEnv(name: string, raw: string | undefined): Record<string, unknown> {
  if (!raw) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ValidationError({ message: `${name} must be a JSON object, e.g. {"batchSize": 500}` });
  }
  return value as Record<string, unknown>;
}

/** Parses a limit variable such as `LOCI_RATE_LIMIT=<per second>,<burst>` ("0" turns limiting off). */
function parseRateLimit(name: string, raw: string | undefined): RateLimitOptions | undefined {
  if (!raw) return undefined;
  const [perSecond, burst] = raw.split(",").map(Number);
  if (!Number.isFinite(perSecond) || perSecond! < 0) {
    throw new ValidationError({ message: `${name} must be <per second>[,<burst>]` });
  }
  return { perSecond: perSecond!, burst: Number.isFinite(burst) ? burst! : Math.max(1, perSecond! * 2) };
}

/** The tenant registry and key store of the chosen storage, and how to close them. */
async function openSystem(o: {
  storage: string;
  dataDir: string;
  auth: boolean;
  postgresSnapshots: boolean;
  connections: number;
  masterKey?: string;
  logger: Logger;
}): Promise<{ store: TenantStore; keys: KeyStore | null; close(): Promise<void> }> {
  if (/^postgres(ql)?:\/\//.test(o.storage)) {
    const pool = new pg.Pool({ connectionString: o.storage, max: o.connections });
    pool.on("error", () => undefined); // an idle client dropped: the pool replaces it
    try {
      await migrateSystem(pool);
    } catch (err) {
      await pool.end();
      throw new StorageError({ message: `cannot prepare PostgreSQL storage: ${(err as Error).message}` });
    }
    const keys = o.auth ? new KeyStore(new PostgresKeyRows({ pool })) : null;
    return {
      store: new PostgresTenantStore({ pool, maxConnections: o.connections, snapshots: o.postgresSnapshots }),
      keys,
      close: () => pool.end(),
    };
  }
  if (o.storage !== "sqlite") {
    throw new ValidationError({
      message: `storage must be "sqlite" or a postgres:// URL, not "${o.storage}"`,
    });
  }
  // Tenants: each with its own directory and data key, wrapped by the master key. A wrong master
  // key fails here, before anything is served.
  const store = new SqliteTenantStore({
    dataDir: o.dataDir,
    logger: o.logger,
    masterKey: loadMasterKey({ dataDir: o.dataDir, ...(o.masterKey ? { masterKey: o.masterKey } : {}) }),
  });
  const keys = o.auth ? new KeyStore(new SqliteKeyRows({ dataDir: o.dataDir })) : null;
  return {
    store,
    keys,
    async close() {
      await store.close();
      await keys?.close();
    },
  };
}

/** Starts a Loci server. */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const host = opts.host ?? "127.0.0.1";
  const auth = opts.auth ?? true;
  if (!auth && !LOOPBACK.has(host)) {
    throw new ValidationError({
      message: `authentication can only be turned off on a loopback address, not ${host}`,
    });
  }
  const logger = opts.logger ?? pino({ level: process.env.LOCI_LOG_LEVEL ?? "info" });
  const dataDir = opts.dataDir ?? process.env.LOCI_DATA_DIR ?? "./loci-data";
  const storage = opts.storage ?? process.env.LOCI_STORAGE ?? "sqlite";
  // Settings are read before anything opens: a bad one fails the start with nothing left open.
  const limits = resolveLimits(opts.limits ?? parseJsonEnv("LOCI_LIMITS", process.env.LOCI_LIMITS));
  const rateLimit = opts.rateLimit ?? parseRateLimit("LOCI_RATE_LIMIT", process.env.LOCI_RATE_LIMIT);
  const authFailureLimit =
    opts.authFailureLimit ?? parseRateLimit("LOCI_AUTH_FAILURE_LIMIT", process.env.LOCI_AUTH_FAILURE_LIMIT);
  const system = await openSystem({
    storage,
    dataDir,
    auth,
    connections: opts.postgresConnections ?? Number(process.env.LOCI_PG_CONNECTIONS ?? 10),
    postgresSnapshots:
      opts.postgresSnapshots ?? /^(1|on|true|yes)$/i.test(process.env.LOCI_PG_SNAPSHOTS ?? ""),
    logger,
    ...(opts.masterKey ? { masterKey: opts.masterKey } : {}),
  });
  const { store, keys } = system;
  const tenants = new TenantEngines({
    dataDir,
    embedder: opts.embedder,
    store,
    logger,
    now: Date.now,
    maxNamespaces: opts.maxNamespacesPerTenant ?? Number(process.env.LOCI_MAX_NAMESPACES ?? 10_000),
    maxOpenNamespaces:
      opts.maxOpenNamespacesPerTenant ?? Number(process.env.LOCI_MAX_OPEN_NAMESPACES ?? 1_000),
    ...(opts.maxOpenMemoriesPerTenant || process.env.LOCI_MAX_OPEN_MEMORIES
      ? { maxOpenMemories: opts.maxOpenMemoriesPerTenant ?? Number(process.env.LOCI_MAX_OPEN_MEMORIES) }
      : {}),
    limits,
  });
  let engine: Loci;
  let generated: string | null = null;
  try {
    await tenants.ensureDefault();
    engine = await tenants.engine("default");
    generated = (await keys?.ensureRoot(opts.rootKey ?? process.env.LOCI_ROOT_KEY)) ?? null;
  } catch (err) {
    await tenants.close().catch(() => undefined);
    await system.close();
    throw err;
  }
  if (generated) {
    (
      opts.onRootKey ??
      ((k) => process.stderr.write(`\nLoci root key (shown once, store it now):\n  ${k}\n\n`))
    )(generated);
  }
  const audit = new AuditLog({ dataDir });
  const { app, ctx } = createApp({
    engineFor: (tenant) => tenants.engine(tenant),
    tenants,
    keys,
    audit,
    logger,
    pageSize: limits.pageSize,
    ...(opts.bodyLimitBytes ? { bodyLimitBytes: opts.bodyLimitBytes } : {}),
    ...(rateLimit ? { rateLimit } : {}),
    ...(authFailureLimit ? { authFailureLimit } : {}),
  });

  let inflight = 0;
  let idle: (() => void) | null = null;
  const server = serve({
    fetch: async (req: Request) => {
      inflight++;
      try {
        // A body left unread by a response decided before it (401, 403, 404) is drained by
        // @hono/node-server itself (`autoCleanupIncoming`), so the keep-alive socket stays usable.
        return await app.fetch(normalizeJson(req));
      } finally {
        if (--inflight === 0) idle?.();
      }
    },
    port: opts.port ?? Number(process.env.LOCI_PORT ?? 3300),
    hostname: host,
  });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  logger.info(
    { url, dataDir, storage: store.kind, auth, embedder: opts.embedder.id },
    "loci server listening",
  );

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    engine,
    close() {
      closing ??= (async () => {
        logger.info("shutting down");
        // Stop accepting, end event streams, let in-flight requests finish (an acknowledged write is
        // committed before its response is produced), then close the remaining sockets.
        const http = server as unknown as { closeIdleConnections(): void; closeAllConnections(): void };
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const end of ctx.streams) end();
        if (inflight > 0) await new Promise<void>((r) => (idle = r));
        for (let i = 0; i < 20; i++) {
          http.closeIdleConnections();
          await new Promise((r) => setTimeout(r, 10));
        }
        http.closeAllConnections();
        await closed;
        await tenants.close();
        await system.close();
        audit.close();
      })();
      return closing;
    },
  };
}
