/**
 * API keys, stored hashed (SHA-256 of a 256-bit random secret) in `<dataDir>/system/keys.db`.
 * A key reads `loci_<id>_<secret>`: the id finds the row, the secret is compared in constant time.
 * The root key may be any string (from `LOCI_ROOT_KEY`) and is matched by its hash.
 *
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { LociError, ValidationError } from "@loci/engine";
import Database from "better-sqlite3-multiple-ciphers";
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

interface Row {
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

function info(r: Row): ApiKeyInfo {
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

/** The key database. */
export class KeyStore {
  readonly #db: Database.Database;

  constructor(opts: { dataDir: string }) {
    const dir = join(opts.dataDir, "system");
    mkdirSync(dir, { recursive: true });
    this.#db = new Database(join(dir, "keys.db"));
    this.#db.pragma("journal_mode = WAL");
    this.#db.pragma("synchronous = FULL");
    this.#db.exec(`CREATE TABLE IF NOT EXISTS keys (
      id TEXT PRIMARY KEY, tenant TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL, scopes TEXT NOT NULL,
      hash TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER, revoked_at INTEGER)`);
  }

  /**
   * Makes sure a root key exists. With `rootKey` (from LOCI_ROOT_KEY) its hash becomes the root's;
   * otherwise a key is generated on first start and returned (to print once), else `null`.
   */
  ensureRoot(rootKey?: string): string | null {
    const existing = this.#db.prepare("SELECT * FROM keys WHERE id = 'root'").get() as Row | undefined;
    let generated: string | null = null;
    let secret = rootKey;
    if (secret === undefined) {
      if (existing) return null;
      secret = `loci_root_${randomBytes(32).toString("base64url")}`;
      generated = secret;
    }
    if (secret.length < 16)
      throw new ValidationError({ message: "LOCI_ROOT_KEY must be at least 16 characters" });
    this.#db
      .prepare(
        `INSERT INTO keys (id, tenant, name, role, scopes, hash, created_at) VALUES ('root', 'default', 'root', 'root', '[]', ?, ?)
         ON CONFLICT(id) DO UPDATE SET hash = excluded.hash, revoked_at = NULL`,
      )
      .run(sha256(secret).toString("hex"), Date.now());
    return generated;
  }

  /** Creates a key; returns its info and the secret (shown once). */
  create(opts: {
    tenant: string;
    name: string;
    role: "admin" | "scoped";
    scopes: Scope[];
    expiresAt: number | null;
    now: number;
  }): { key: string; info: ApiKeyInfo } {
    const id = randomBytes(9).toString("base64url").replace(/[-_]/g, "x");
    const secret = randomBytes(32).toString("base64url");
    this.#db
      .prepare(
        "INSERT INTO keys (id, tenant, name, role, scopes, hash, created_at, expires_at) VALUES (?,?,?,?,?,?,?,?)",
      )
      .run(
        id,
        opts.tenant,
        opts.name,
        opts.role,
        JSON.stringify(opts.scopes),
        sha256(secret).toString("hex"),
        opts.now,
        opts.expiresAt,
      );
    return { key: `loci_${id}_${secret}`, info: info(this.#row(id)!) };
  }

  #row(id: string): Row | undefined {
    return this.#db.prepare("SELECT * FROM keys WHERE id = ?").get(id) as Row | undefined;
  }

  /** Resolves a bearer token to a principal, or null (unknown, revoked, expired, malformed). */
  verify(token: string, now: number): Principal | null {
    if (token.length === 0 || token.length > 512) return null;
    const m = /^loci_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/.exec(token);
    const row = this.#row(m ? m[1]! : "root");
    if (!row || row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= now)) return null;
    const given = sha256(m && row.id !== "root" ? m[2]! : token);
    const stored = Buffer.from(row.hash, "hex");
    if (!timingSafeEqual(given, stored)) return null;
    return { keyId: row.id, tenant: row.tenant, role: row.role, scopes: JSON.parse(row.scopes) as Scope[] };
  }

  /** Keys of a tenant (root excluded), newest first. */
  list(tenant: string): ApiKeyInfo[] {
    const rows = this.#db
      .prepare("SELECT * FROM keys WHERE tenant = ? AND id != 'root' ORDER BY created_at DESC, id")
      .all(tenant) as Row[];
    return rows.map(info);
  }

  /** Revokes a key of a tenant (idempotent). @throws {LociError} NOT_FOUND for unknown ids. */
  revoke(tenant: string, id: string, now: number): ApiKeyInfo {
    const row = this.#row(id);
    if (!row || row.tenant !== tenant || row.id === "root") {
      throw new LociError({ code: "NOT_FOUND", message: `no key "${id}"` });
    }
    if (row.revoked_at === null) this.#db.prepare("UPDATE keys SET revoked_at = ? WHERE id = ?").run(now, id);
    return info(this.#row(id)!);
  }

  /** Revokes every key of a tenant (it was deleted). */
  revokeTenant(tenant: string, now: number): void {
    this.#db
      .prepare("UPDATE keys SET revoked_at = ? WHERE tenant = ? AND revoked_at IS NULL AND id != 'root'")
      .run(now, tenant);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
