/**
 * What route handlers share: the engine, the key store, metrics, the logger, and helpers that
 * enforce API-key scopes.
 *
 * @module
 */
import type { OpenAPIHono, z } from "@hono/zod-openapi";
import { LociError, type MemoryClient } from "@loci/engine";
import type { Context } from "hono";
import type { Logger } from "pino";
import type { AuditLog } from "./audit.js";
import type { KeyStore } from "./auth/key-store.js";
import { can, type Permission, type Principal } from "./auth/scopes.js";
import type { Metrics } from "./metrics.js";
import { ErrorSchema } from "./schemas.js";
import type { TenantEngines } from "./tenants/engines.js";

/** Hono environment of the app. */
export type Env = { Variables: { principal: Principal } };
/** The app type. */
export type LociApp = OpenAPIHono<Env>;

/** Shared state of the route handlers. */
export interface RouteContext {
  /** The engine of the caller's tenant (resolved from the API key only). */
  engine: (c: Context<Env>) => Promise<MemoryClient>;
  /** Tenant management (root only); `null` when the server runs without tenants (auth off). */
  tenants: TenantEngines | null;
  /** `null` when authentication is off (LOCI_AUTH=off). */
  keys: KeyStore | null;
  metrics: Metrics;
  audit: AuditLog;
  logger: Logger;
  now: () => number;
  /** Largest page a list may return (the engines' `limits.pageSize`). */
  pageSize: number;
  /** Open event streams, closed on shutdown. */
  streams: Set<() => void>;
}

/** Throws 403 unless the caller may `permission` the namespace (checked before the namespace is looked up). */
export function requireNamespace(c: Context<Env>, namespace: string, permission: Permission): void {
  if (!can(c.get("principal"), namespace, permission)) {
    throw new LociError({
      code: "FORBIDDEN",
      message: `this API key may not ${permission} namespace "${namespace.slice(0, 128)}"`,
    });
  }
}

/** Throws 403 unless the caller is an admin (or root) of its tenant. */
export function requireAdmin(c: Context<Env>): Principal {
  const p = c.get("principal");
  if (p.role === "scoped")
    throw new LociError({ code: "FORBIDDEN", message: "this API key is not an admin key" });
  return p;
}

const err = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorSchema } },
});

/** Error responses documented on every route. */
export const errorResponses = {
  400: err("Invalid input (INVALID_ARGUMENT, INVALID_FILTER, INVALID_NAMESPACE, EMBEDDING_MISMATCH…)"),
  401: err("Missing or invalid API key (UNAUTHENTICATED)"),
  403: err("The key's scopes do not allow this (FORBIDDEN)"),
  404: err("Not found"),
  409: err("Conflict (ALREADY_EXISTS, SESSION_ENDED, IDEMPOTENCY_CONFLICT)"),
  413: err("Payload too large"),
  503: err("The storage is read-only (STORAGE_READ_ONLY); nothing was written; retry after Retry-After"),
  507: err("The storage is full (STORAGE_FULL); nothing was written"),
} as const;

/** A JSON response entry for route definitions. */
export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}
