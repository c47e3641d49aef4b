/**
 * Ids the REST API could not address afterwards: `.` and `..` are relative steps in a URL path
 * (percent-encoded too), so `GET /v1/namespaces/ns/memories/..` can never reach a memory with that
 * id. Creating one over HTTP is refused instead of storing a record no client could read or delete.
 *
 * @module
 */
import { ValidationError } from "@loci/engine";

/** @throws {ValidationError} INVALID_ARGUMENT naming `field` when `id` is `.` or `..` */
export function assertAddressableId(id: unknown, field: string): void {
  if (id === "." || id === "..") {
    throw new ValidationError({
      message: `${field} "${id}" cannot be used over HTTP: a URL path segment "." or ".." is a relative step, so the record could not be read, updated or deleted`,
      details: { field },
    });
  }
}
