/**
 * API keys, stored hashed (SHA-256 of a 256-bit random secret) in a {@link KeyRows} backend:
 * `<dataDir>/system/keys.db` (SQLite, `key-rows-sqlite.ts`) or the `loci_system` schema of a shared
 * PostgreSQL database (`key-rows-postgres.ts`, so every server sees a new or revoked key at once).
 * A key reads `loci_<id>_<secret>`: the id finds the row, the secret is compared in constant time.
 * The root key may be any string (from `LOCI_ROOT_KEY`) and is matched by its hash.
 *
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { LociError, ValidationError } from "@loci/engine";
import { PATTERN_RE, type Principal, type Scope } from "./scopes.js";

/** A key as listed (never with its secret). */
export interface ApiKeyInfo {
  id: string;
  tenant: string;
  name: string;
  role: "root" | "admin" | "scoped";
  scopes: Scope[];
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

/** A stored key (times in epoch ms; `scopes` as JSON). */
export interface KeyRow {
  id: string;
  tenant: string;
  name: string;
  role: ApiKeyInfo["role"];
  scopes: string;
  hash: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

const sha256 = (s: string) => createHash("sha256").update(s).digest();

function info(r: KeyRow): ApiKeyInfo {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: r.id,
    tenant: r.tenant,
    name: r.name,
    role: r.role,
    scopes: JSON.parse(r.scopes) as Scope[],
    createdAt: new Date(r.created_at).toISOString(),
    expiresAt: iso(r.expires_at),
    revokedAt: iso(r.revoked_at),
  };
}

/** Validates scope input; throws INVALID_ARGUMENT. */
export function validateScopes(scopes: unknown): Scope[] {
  if (!Array.isArray(scopes) || scopes.length === 0 || scopes.length > 64) {
    throw new ValidationError({
      message: "scopes must be a non-empty list (at most 64)",
      details: { field: "scopes" },
    });
  }
  return scopes.map((s, i) => {
    const ns = (s as Scope)?.namespaces;
    const perms = (s as Scope)?.permissions;
    if (
      !Array.isArray(ns) ||
      ns.length === 0 ||
      ns.some((p) => typeof p !== "string" || !PATTERN_RE.test(p))
    ) {
      throw new ValidationError({
        message: `scopes[${i}].namespaces must be namespace names or patterns with "*"`,
        details: { field: `scopes[${i}].namespaces` },
      });
    }
    if (!Array.isArray(perms) || perms.length === 0 || perms.some((p) => p !== "read" && p !== "write")) {
      throw new ValidationError({
        message: `scopes[${i}].permissions must be "read" and/or "write"`,
        details: { field: `scopes[${i}].permissions` },
      });
    }
    return { namespaces: [...ns], permissions: [...new Set(perms)] };
  });
}

/** Where key rows live: one implementation per backend. */
export interface KeyRows {
  get(id: string): Promise<KeyRow | undefined>;
  insert(row: KeyRow): Promise<void>;
  /** Inserts the root row or replaces its hash (un-revoking it). */
  upsertRoot(hash: string, now: number): Promise<void>;
  /** Rows of a tenant (root excluded), newest first. */
  listTenant(tenant: string): Promise<KeyRow[]>;
  /** Sets `revoked_at` on one row that is not revoked yet. */
  revoke(id: string, now: number): Promise<void>;
  /** Revokes every non-root key of a tenant. */
  revokeTenant(tenant: string, now: number): Promise<void>;
  close(): Promise<void>;
}

/** The key store: generation, hashing and verification over a {@link KeyRows} backend. */
export class KeyStore {
  readonly #rows: KeyRows;

  constructor(rows: KeyRows) {
    this.#rows = rows;
  }

  /**
   * Makes sure a root key exists. With `rootKey` (from LOCI_ROOT_KEY) its hash becomes the root's;
   * otherwise a key is generated on first start and returned (to print once), else `null`.
   */
  async ensureRoot(rootKey?: string): Promise<string | null> {
    let generated: string | null = null;
    let secret = rootKey;
    if (secret === undefined) {
      if (await this.#rows.get("root")) return null;
      secret = `loci_root_${randomBytes(32).toString("base64url")}`;
      generated = secret;
    }
    if (secret.length < 16)
      throw new ValidationError({ message: "LOCI_ROOT_KEY must be at least 16 characters" });
    await this.#rows.upsertRoot(sha256(secret).toString("hex"), Date.now());
    return generated;
  }

  /** Creates a key; returns its info and the secret (shown once). */
  async create(opts: {
    tenant: string;
    name: string;
    role: "admin" | "scoped";
    scopes: Scope[];
    expiresAt: number | null;
    now: number;
  }): Promise<{ key: string; info: ApiKeyInfo }> {
    const id = randomBytes(9).toString("base64url").replace(/[-_]/g, "x");
    const secret = randomBytes(32).toString("base64url");
    const row: KeyRow = {
      id,
      tenant: opts.tenant,
      name: opts.name,
      role: opts.role,
      scopes: JSON.stringify(opts.scopes),
      hash: sha256(secret).toString("hex"),
      created_at: opts.now,
      expires_at: opts.expiresAt,
      revoked_at: null,
    };
    await this.#rows.insert(row);
    return { key: `loci_${id}_${secret}`, info: info(row) };
  }

  /** Resolves a bearer token to a principal, or null (unknown, revoked, expired, malformed). */
  async verify(token: string, now: number): Promise<Principal | null> {
    if (token.length === 0 || token.length > 512) return null;
    const m = /^loci_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/.exec(token);
    const row = await this.#rows.get(m ? m[1]! : "root");
    if (!row || row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= now)) return null;
    const given = sha256(m && row.id !== "root" ? m[2]! : token);
    const stored = Buffer.from(row.hash, "hex");
    if (!timingSafeEqual(given, stored)) return null;
    return { keyId: row.id, tenant: row.tenant, role: row.role, scopes: JSON.parse(row.scopes) as Scope[] };
  }

  /**
   * Whether the key `keyId` (already verified once) is still neither revoked nor expired: long-lived
   * requests such as event streams ask again as they go.
   */
  async active(keyId: string, now: number): Promise<boolean> {
    const row = await this.#rows.get(keyId);
    return !!row && row.revoked_at === null && (row.expires_at === null || row.expires_at > now);
  }

  /** Keys of a tenant (root excluded), newest first. */
  async list(tenant: string): Promise<ApiKeyInfo[]> {
    return (await this.#rows.listTenant(tenant)).map(info);
  }

  /** Revokes a key of a tenant (idempotent). @throws {LociError} NOT_FOUND for unknown ids. */
  async revoke(tenant: string, id: string, now: number): Promise<ApiKeyInfo> {
    const row = await this.#rows.get(id);
    if (!row || row.tenant !== tenant || row.id === "root") {
      throw new LociError({ code: "NOT_FOUND", message: `no key "${id}"` });
    }
    if (row.revoked_at === null) await this.#rows.revoke(id, now);
    return info((await this.#rows.get(id))!);
  }

  /** Revokes every key of a tenant (it was deleted). */
  revokeTenant(tenant: string, now: number): Promise<void> {
    return this.#rows.revokeTenant(tenant, now);
  }

  close(): Promise<void> {
    return this.#rows.close();
  }
}
