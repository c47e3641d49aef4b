/**
 * Field names in error details. The engine names an invalid field by its camelCase path
 * (`vectorIndex.efConstruction`, `memories[2].sessionId`); the REST API speaks snake_case, so the
 * server renames the path on the way out (`vector_index.ef_construction`) and the HTTP client renames
 * it back, and a caller sees the names it wrote on either side. Segments after `metadata` or
 * `properties` are the caller's own JSON keys and are left exactly as they were.
 *
 * @module
 */

/** Path segments whose children are user data (metadata keys, entity properties). */
const USER_DATA = new Set(["metadata", "properties"]);

function renamePath(path: string, rename: (name: string) => string): string {
  let inUserData = false;
  return path
    .split(".")
    .map((segment) => {
      if (inUserData) return segment;
      const bracket = segment.indexOf("[");
      const name = bracket === -1 ? segment : segment.slice(0, bracket);
      const renamed = rename(name);
      if (USER_DATA.has(renamed) || USER_DATA.has(name)) inUserData = true;
      return renamed + (bracket === -1 ? "" : segment.slice(bracket));
    })
    .join(".");
}

// Only identifiers in the style of the other side are renamed: a field that is neither (an HTTP
// header such as `Idempotency-Key` or `Last-Event-ID`) keeps its name both ways.
const toSnake = (name: string) =>
  /^[a-z][A-Za-z0-9]*$/.test(name) ? name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : name;
const toCamel = (name: string) =>
  /^[a-z][a-z0-9_]*$/.test(name) ? name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()) : name;

/** Engine field path → REST field path (`vectorIndex.m` → `vector_index.m`). */
export function fieldToWire(path: string): string {
  return renamePath(path, toSnake);
}

/** REST field path → engine field path (`memories[0].session_id` → `memories[0].sessionId`). */
export function fieldFromWire(path: string): string {
  return renamePath(path, toCamel);
}

/**
 * Error details with `field` renamed, and the message with that path renamed where it names it, so
 * `"vectorIndex.m must be an integer in 4..96"` reads `"vector_index.m must be …"` on the wire.
 */
export function renameErrorField(
  err: { message: string; details?: Record<string, unknown> },
  rename: (path: string) => string,
): { message: string; details?: Record<string, unknown> } {
  const field = err.details?.field;
  if (typeof field !== "string") return err;
  const renamed = rename(field);
  if (renamed === field) return err;
  return {
    message: err.message.split(field).join(renamed),
    details: { ...err.details, field: renamed },
  };
}
