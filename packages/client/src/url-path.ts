/**
 * Values as URL path segments. `encodeURIComponent` leaves `.` and `..` as they are, and every URL
 * parser (fetch's included) resolves them, even percent-encoded, as relative steps: a memory with
 * the id `..` would be requested as its namespace's parent path. Such values cannot be sent in a
 * path at all, so they are refused before any request is made.
 *
 * @module
 */
import { ValidationError } from "@loci/engine";

/**
 * `value` encoded as one path segment.
 *
 * @param field - The field named in the error (`id`, `entity.name`, `namespace`).
 * @throws {ValidationError} INVALID_ARGUMENT (INVALID_NAMESPACE for `namespace`) for `.` and `..`
 */
export function pathSegment(value: string, field: string): string {
  if (value === "." || value === "..") {
    throw new ValidationError({
      code: field === "namespace" ? "INVALID_NAMESPACE" : "INVALID_ARGUMENT",
      message: `${field} "${value}" cannot be addressed over HTTP: a URL path segment "." or ".." is a relative step`,
      details: { field },
    });
  }
  return encodeURIComponent(value);
}
