/**
 * JSON with object keys sorted at every level, so equal data gives equal text whatever its key order
 * (metadata compared as data: duplicates, idempotent replays).
 *
 * @module
 */

/** `JSON.stringify` of `value` with sorted object keys. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
