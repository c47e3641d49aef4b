/**
 * Exactly-once writes under retries: the `Idempotency-Key` header of the write routes.
 *
 * A key names one logical write. The server turns it into the ids of what the write creates
 * (a hash of tenant, namespace, kind, key and item index, shaped as a UUID), unless the body gives
 * ids itself. Because the id is the key, the storage needs nothing new: a retry of a write that
 * already committed meets its own id (`ALREADY_EXISTS`), and the server answers with the stored
 * records (200, `Idempotent-Replayed: true`) when they match the request, or 409
 * `IDEMPOTENCY_CONFLICT` when the key was used for a different body. This works on every storage
 * driver, and survives restarts and crashes, since the records themselves are the idempotency log;
 * the change log remembers removals, so a retry whose memories were deleted, evicted or purged since
 * is refused rather than applied again (the write refuses removed ids, {@link removedReason}).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { z } from "@hono/zod-openapi";
import {
  ConflictError,
  canonicalJson,
  LociError,
  type Memory,
  type MemoryClient,
  type MemoryInput,
  type MemoryRemovalInfo,
  ValidationError,
} from "@loci/engine";
import type { Context } from "hono";
import type { Env } from "./context.js";

/** The request header carrying the key. */
export const IDEMPOTENCY_HEADER = "Idempotency-Key";
/** The response header set (to `true`) when a retried write is answered from what it stored before. */
export const REPLAYED_HEADER = "Idempotent-Replayed";

const KEY_RE = /^[\x21-\x7e]{1,255}$/;

/** The documented request header of a keyed write route. */
export const keyHeaders = z.object({
  "idempotency-key": z.string().optional().openapi({
    description:
      "Names this write (1-255 visible ASCII characters): a retry with the same key is applied once",
  }),
});

/** The request's idempotency key, or `null`. @throws {ValidationError} when it is malformed. */
export function idempotencyKey(c: Context<Env>): string | null {
  const key = c.req.header(IDEMPOTENCY_HEADER);
  if (key === undefined) return null;
  if (!KEY_RE.test(key)) {
    throw new ValidationError({
      message: `${IDEMPOTENCY_HEADER} must be 1-255 visible ASCII characters`,
      details: { field: IDEMPOTENCY_HEADER },
    });
  }
  return key;
}

/** What a derived id is unique to. */
export interface IdScope {
  tenant: string;
  namespace: string;
  kind: "memory" | "session";
  key: string;
  /** The item's index in a batch (0 for single writes). */
  index?: number;
}

/** The id a keyed write gives item `index`: deterministic, UUID-shaped (version 8). */
export function derivedId(scope: IdScope): string {
  const h = createHash("sha256")
    .update([scope.tenant, scope.namespace, scope.kind, scope.key, String(scope.index ?? 0)].join("\0"))
    .digest("hex");
  const variant = ((Number.parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Whether an error is the storage's "that id already exists". */
export function alreadyExists(err: unknown): boolean {
  return LociError.isInstance(err) && err.code === "ALREADY_EXISTS";
}

/** Whether two metadata objects hold the same data. */
export function sameMetadata(a: unknown, b: unknown): boolean {
  return canonicalJson(a ?? {}) === canonicalJson(b ?? {});
}

/** Whether a stored memory is what `input` would have stored (content, metadata, session, agent, importance). */
export function matchesInput(m: Memory, input: MemoryInput): boolean {
  return (
    m.content === input.content &&
    sameMetadata(m.metadata, input.metadata) &&
    m.sessionId === (input.sessionId ?? null) &&
    m.agentId === (input.agentId ?? null) &&
    (input.importance === undefined || m.importance === input.importance)
  );
}

const GONE: Record<MemoryRemovalInfo["reason"], string> = {
  deleted: "been deleted",
  evicted: "been evicted",
  expired: "expired",
};

/**
 * The 409 for a key reused with another body, or (`removed`) for a retry of a write that was applied
 * but whose memories have been deleted, evicted or have expired since: they can no longer be replayed
 * nor compared with the body, and adding them again would apply the write twice.
 */
export function idempotencyConflict(
  key: string,
  what: string,
  opts: { removed?: MemoryRemovalInfo["reason"] } = {},
): ConflictError {
  const named = `${IDEMPOTENCY_HEADER} "${key.slice(0, 64)}"`;
  return new ConflictError({
    code: "IDEMPOTENCY_CONFLICT",
    message: opts.removed
      ? `${named} names a ${what} already applied; ${what === "memory" ? "it" : "a memory of it"} has since ${GONE[opts.removed]}, and nothing was written`
      : `${named} was already used for a different ${what}; use a new key for a new write`,
    details: { field: IDEMPOTENCY_HEADER, ...(opts.removed ? { reason: opts.removed } : {}) },
  });
}

/**
 * The reason (`deleted`, `evicted`, `expired`) of the first memory a `refuseRemovedIds` write was
 * refused for (`MEMORY_REMOVED`), or null for any other error.
 */
export function removedReason(err: unknown): RemovalReason | null {
  return removedMemories(err)[0]?.reason ?? null;
}

/** The memories a `MEMORY_REMOVED` error names (`details.removed`), or none for any other error. */
export function removedMemories(err: unknown): ({ id: string } & MemoryRemovalInfo)[] {
  if (!LociError.isInstance(err) || err.code !== "MEMORY_REMOVED") return [];
  return (err.details?.removed as ({ id: string } & MemoryRemovalInfo)[] | undefined) ?? [];
}

/** Why a memory is not stored (`MemoryRemovalInfo.reason`). */
export type RemovalReason = MemoryRemovalInfo["reason"];

/**
 * A memory of a keyed write, or how it went: a stored id that reads find nothing under has expired
 * (not yet purged); otherwise the change log says (`MEMORY_NOT_FOUND`'s `details.removed`).
 */
export async function storedOrGone(
  engine: MemoryClient,
  namespace: string,
  id: string,
): Promise<{ memory: Memory } | { removed: RemovalReason }> {
  try {
    return { memory: await engine.memory.get({ namespace, id }) };
  } catch (err) {
    if (!LociError.isInstance(err) || err.code !== "MEMORY_NOT_FOUND") throw err;
    return { removed: (err.details?.removed as MemoryRemovalInfo | undefined)?.reason ?? "expired" };
  }
}
