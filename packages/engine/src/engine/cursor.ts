/**
 * Opaque pagination cursors: base64url JSON carrying the position and a tag of the query it belongs
 * to, so a cursor reused with another query is rejected (`INVALID_CURSOR`) instead of paging wrongly.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { ValidationError } from "../errors.js";

/** A short stable tag of the query a cursor belongs to. */
export function queryTag(parts: unknown): string {
  return createHash("sha256")
    .update(JSON.stringify(parts ?? null))
    .digest("base64url")
    .slice(0, 12);
}

/** Encodes a position and a query tag. */
export function encodeCursor(position: string | number, tag: string): string {
  return Buffer.from(JSON.stringify({ p: position, t: tag })).toString("base64url");
}

/** Decodes a cursor made by {@link encodeCursor} for the same query tag. @throws INVALID_CURSOR */
export function decodeCursor(cursor: unknown, tag: string): string | number {
  const invalid = () =>
    new ValidationError({
      code: "INVALID_CURSOR",
      message: "cursor is malformed or belongs to another query",
    });
  if (typeof cursor !== "string" || cursor.length === 0 || cursor.length > 512) throw invalid();
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as {
      p?: unknown;
      t?: unknown;
    };
    if (parsed.t !== tag || (typeof parsed.p !== "string" && typeof parsed.p !== "number")) throw invalid();
    return parsed.p;
  } catch {
    throw invalid();
  }
}
