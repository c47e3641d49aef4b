/**
 * API-key scopes: `[{ namespaces: ["researcher", "team-*"], permissions: ["read", "write"] }]`, or the
 * `admin` role (everything within its tenant), or `root` (tenants and everything). Namespace patterns
 * use `*` as the only wildcard, matched literally otherwise (never turned into a regular expression).
 *
 * @module
 */

/** A permission on namespaces. */
export type Permission = "read" | "write";

/** One scope entry. */
export interface Scope {
  namespaces: string[];
  permissions: Permission[];
}

/** Who is calling: resolved from the API key. */
export interface Principal {
  keyId: string;
  tenant: string;
  role: "root" | "admin" | "scoped";
  scopes: Scope[];
}

/** Valid namespace patterns: namespace characters plus `*`. */
export const PATTERN_RE = /^[A-Za-z0-9._*-]{1,128}$/;

/** Whether `name` matches a `*`-wildcard pattern. */
export function matchPattern(pattern: string, name: string): boolean {
  const parts = pattern.split("*");
  if (parts.length === 1) return pattern === name;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!name.startsWith(first) || name.length < first.length + last.length) return false;
  let pos = first.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const idx = name.indexOf(parts[i]!, pos);
    if (idx < 0) return false;
    pos = idx + parts[i]!.length;
  }
  return name.length - last.length >= pos && name.endsWith(last);
}

/** Whether the principal may `permission` the namespace. */
export function can(p: Principal, namespace: string, permission: Permission): boolean {
  if (p.role !== "scoped") return true;
  return p.scopes.some(
    (s) => s.permissions.includes(permission) && s.namespaces.some((pat) => matchPattern(pat, namespace)),
  );
}
