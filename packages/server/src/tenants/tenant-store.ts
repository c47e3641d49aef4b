/**
 * The tenant registry contract: where tenants are recorded and how a tenant's engine is opened. One
 * implementation per storage: `sqlite-tenant-store.ts` (a directory and an encryption key per
 * tenant, the embedded default) and `postgres-tenant-store.ts` (a schema per tenant in a shared
 * PostgreSQL database, for many stateless servers).
 *
 * @module
 */
import type { BackgroundErrorHandler, Embedder, Limits, Loci, LociOptions } from "@loci/engine";
import type { Logger } from "pino";

/** A tenant as listed. */
export interface TenantInfo {
  name: string;
  /** Whether Loci encrypts the tenant's data with its own data key (SQLite storage). */
  encrypted: boolean;
  createdAt: string;
  /** Incremented by every key rotation. */
  keyVersion: number;
}

/** What every tenant's engine shares. */
export interface EngineSettings {
  dataDir: string;
  embedder: Embedder;
  maxNamespaces?: number;
  limits?: Partial<Limits>;
  /** Namespaces the engine keeps open (`LociOptions.maxOpenNamespaces`). */
  maxOpenNamespaces?: number;
  /** Memories the engine's open namespaces may hold together (`LociOptions.maxOpenMemories`). */
  maxOpenMemories?: number;
  /** Receives the engine's background failures (`LociOptions.onBackgroundError`). */
  onBackgroundError?: BackgroundErrorHandler;
}

/** The engine options every store sets from {@link EngineSettings} for tenant `name`. */
export function engineOptions(name: string, s: EngineSettings): LociOptions {
  return {
    dataDir: s.dataDir,
    tenant: name,
    embedder: s.embedder,
    ...(s.maxNamespaces ? { maxNamespaces: s.maxNamespaces } : {}),
    ...(s.limits ? { limits: s.limits } : {}),
    ...(s.maxOpenNamespaces ? { maxOpenNamespaces: s.maxOpenNamespaces } : {}),
    ...(s.maxOpenMemories ? { maxOpenMemories: s.maxOpenMemories } : {}),
    ...(s.onBackgroundError ? { onBackgroundError: s.onBackgroundError } : {}),
  };
}

/** A tenant registry and the storage behind it. */
export interface TenantStore {
  /** "sqlite" or "postgres". */
  readonly kind: string;
  /** Registers the `default` tenant if it is missing (safe when several servers start at once). */
  ensureDefault(logger: Logger, now: number): Promise<void>;
  /** Creates a tenant. @throws ALREADY_EXISTS */
  create(name: string, now: number): Promise<TenantInfo>;
  get(name: string): Promise<TenantInfo | null>;
  list(): Promise<TenantInfo[]>;
  /** Opens the engine of an existing tenant. @throws NOT_FOUND */
  open(name: string, settings: EngineSettings): Promise<Loci>;
  /** Rotates the tenant's data key on its open engine. @throws INVALID_ARGUMENT where Loci holds no key */
  rekey(name: string, engine: Loci): Promise<TenantInfo>;
  /** Deletes the tenant's record and destroys its data (its engine is closed first). */
  delete(name: string, settings: EngineSettings): Promise<boolean>;
  /** Failed background WAL checkpoints so far (stores without them omit it). */
  checkpointFailures?(): number;
  close(): Promise<void>;
}
