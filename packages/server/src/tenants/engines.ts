/**
 * One embedded engine per tenant, opened on first use with the tenant's data key. A key belongs to
 * one tenant and the server resolves the engine from the key alone, so no route, parameter or
 * header can reach another tenant's data.
 *
 * @module
 */
import { closeSync, existsSync, openSync, readSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type Embedder, type Limits, Loci, LociError } from "@loci/engine";
import type { Logger } from "pino";
import type { TenantInfo, TenantStore } from "./tenant-store.js";

/** Whether a tenant directory holds plaintext (unencrypted) SQLite data. */
function hasPlaintextData(tenantDir: string): boolean {
  const file = join(tenantDir, "catalog.db");
  if (!existsSync(file)) return false;
  const fd = openSync(file, "r");
  try {
    const head = Buffer.alloc(16);
    readSync(fd, head, 0, 16, 0);
    return head.toString("latin1", 0, 15) === "SQLite format 3";
  } finally {
    closeSync(fd);
  }
}

/** Options of {@link TenantEngines}. */
export interface TenantEnginesOptions {
  dataDir: string;
  embedder: Embedder;
  store: TenantStore;
  logger: Logger;
  now: () => number;
  /** Namespaces one tenant may hold. */
  maxNamespaces?: number;
  /** Input limits of every tenant's engine. */
  limits?: Partial<Limits>;
}

/** The engines of all tenants. */
export class TenantEngines {
  readonly #opts: TenantEnginesOptions;
  readonly #open = new Map<string, Promise<Loci>>();

  constructor(opts: TenantEnginesOptions) {
    this.#opts = opts;
  }

  /** Registers the `default` tenant on first start (plaintext if unencrypted data is already there). */
  ensureDefault(): void {
    const { store, dataDir, logger, now } = this.#opts;
    if (store.get("default")) return;
    const plaintext = hasPlaintextData(join(dataDir, "tenants", "default"));
    if (plaintext)
      logger.warn(
        "tenant 'default' holds unencrypted data from before; it stays unencrypted (export and import it into a new tenant to encrypt it)",
      );
    store.create("default", now(), { encrypted: !plaintext });
  }

  /** The engine of a tenant. @throws NOT_FOUND for unknown tenants */
  engine(tenant: string): Promise<Loci> {
    let opening = this.#open.get(tenant);
    if (!opening) {
      const keys = this.#opts.store.keys(tenant);
      opening = Loci.open({
        dataDir: this.#opts.dataDir,
        tenant,
        embedder: this.#opts.embedder,
        ...(keys ? { encryptionKey: keys.current, previousEncryptionKeys: keys.previous } : {}),
        ...(this.#opts.maxNamespaces ? { maxNamespaces: this.#opts.maxNamespaces } : {}),
        ...(this.#opts.limits ? { limits: this.#opts.limits } : {}),
      });
      this.#open.set(tenant, opening);
      opening.catch(() => this.#open.delete(tenant));
    }
    return opening;
  }

  /** Every tenant. */
  list(): TenantInfo[] {
    return this.#opts.store.list();
  }

  /** Creates a tenant (directory and key). */
  async create(name: string): Promise<TenantInfo> {
    const info = this.#opts.store.create(name, this.#opts.now());
    await this.engine(name);
    return info;
  }

  /** Deletes a tenant: closes its engine, destroys its key, removes its directory. */
  async delete(name: string): Promise<boolean> {
    if (name === "default")
      throw new LociError({ code: "INVALID_ARGUMENT", message: "the default tenant cannot be deleted" });
    if (!this.#opts.store.get(name)) return false;
    const open = this.#open.get(name);
    this.#open.delete(name);
    if (open) await (await open).close().catch(() => undefined);
    this.#opts.store.delete(name);
    rmSync(join(this.#opts.dataDir, "tenants", name), { recursive: true, force: true });
    return true;
  }

  /** Rotates a tenant's data key while it keeps serving; other tenants are not touched. */
  async rekey(name: string): Promise<TenantInfo> {
    const engine = await this.engine(name);
    const next = this.#opts.store.beginRotation(name);
    await engine.rekey(next);
    this.#opts.store.finishRotation(name);
    return this.#opts.store.get(name)!;
  }

  /** Closes every engine. */
  async close(): Promise<void> {
    for (const opening of this.#open.values()) await (await opening.catch(() => null))?.close();
    this.#open.clear();
  }
}
