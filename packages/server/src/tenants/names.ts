import { ValidationError } from "@loci/engine";

const TENANT_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Tenant names: 1–63 chars of `[a-z0-9_-]`, starting with a letter or digit (they name directories). */
export function assertNamespaceNameForTenant(name: unknown): string {
  if (typeof name !== "string" || !TENANT_RE.test(name)) {
    throw new ValidationError({
      message: "tenant name must be 1-63 characters of a-z, 0-9, _ and -, starting with a letter or digit",
      details: { field: "name" },
    });
  }
  return name;
}
