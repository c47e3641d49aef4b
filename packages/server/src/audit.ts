/**
 * The audit log: key and tenant operations, namespace deletes and bulk memory deletes, and every
 * denied request (401, 403, 429), with who,
 * what and when, in `<dataDir>/system/audit.db`. Tenant admins query their tenant's entries
 * (`GET /v1/audit`); the root key sees all.
 *
 * @module
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3-multiple-ciphers";

/** One audit entry. */
export interface AuditEntry {
  seq: number;
  at: string;
  /** The caller's tenant (`null` for requests without a valid key). */
  tenant: string | null;
  /** The caller's key id (`null` without a valid key). */
  keyId: string | null;
  /** e.g. `key.created`, `key.revoked`, `tenant.created`, `namespace.deleted`, `memories.deleted`, `request.denied`. */
  action: string;
  /** What was acted on (a key id, a tenant, `METHOD /route`). */
  target: string;
  outcome: "ok" | "denied";
  /** HTTP status or other detail. */
  detail: string;
}

interface Row {
  seq: number;
  at: number;
  tenant: string | null;
  key_id: string | null;
  action: string;
  target: string;
  outcome: "ok" | "denied";
  detail: string;
}

/** Append-only audit log. */
export class AuditLog {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;

  constructor(opts: { dataDir: string }) {
    const dir = join(opts.dataDir, "system");
    mkdirSync(dir, { recursive: true });
    this.#db = new Database(join(dir, "audit.db"));
    this.#db.pragma("journal_mode = WAL");
    this.#db.exec(`CREATE TABLE IF NOT EXISTS audit (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, tenant TEXT, key_id TEXT,
      action TEXT NOT NULL, target TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS audit_tenant ON audit(tenant, seq);`);
    this.#insert = this.#db.prepare(
      "INSERT INTO audit (at, tenant, key_id, action, target, outcome, detail) VALUES (?,?,?,?,?,?,?)",
    );
  }

  /** Appends an entry. */
  record(e: Omit<AuditEntry, "seq" | "at"> & { at: number }): void {
    this.#insert.run(
      e.at,
      e.tenant,
      e.keyId,
      e.action,
      e.target.slice(0, 512),
      e.outcome,
      e.detail.slice(0, 512),
    );
  }

  /** Entries, newest first, for one tenant (or all with `tenant: null`), before `beforeSeq`. */
  query(opts: {
    tenant: string | null;
    action?: string;
    outcome?: string;
    beforeSeq?: number;
    limit: number;
  }): AuditEntry[] {
    const where = ["seq < ?"];
    const args: unknown[] = [opts.beforeSeq ?? Number.MAX_SAFE_INTEGER];
    if (opts.tenant !== null) {
      where.push("tenant = ?");
      args.push(opts.tenant);
    }
    if (opts.action) {
      where.push("action = ?");
      args.push(opts.action);
    }
    if (opts.outcome) {
      where.push("outcome = ?");
      args.push(opts.outcome);
    }
    const rows = this.#db
      .prepare(`SELECT * FROM audit WHERE ${where.join(" AND ")} ORDER BY seq DESC LIMIT ?`)
      .all(...args, opts.limit) as Row[];
    return rows.map((r) => ({
      seq: r.seq,
      at: new Date(r.at).toISOString(),
      tenant: r.tenant,
      keyId: r.key_id,
      action: r.action,
      target: r.target,
      outcome: r.outcome,
      detail: r.detail,
    }));
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
