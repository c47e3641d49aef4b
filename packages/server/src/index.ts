/**
 * `@loci/server`: the Loci REST server (SPEC §6).
 *
 * @example
 * ```ts
 * import { startServer } from "@loci/server";
 * import { UseLiteEmbedder } from "@loci/engine";
 * const server = await startServer({ dataDir: "./loci-data", port: 3300, embedder: new UseLiteEmbedder() });
 * ```
 * @module
 */
export { type AppOptions, createApp } from "./app.js";
export { PostgresKeyRows } from "./auth/key-rows-postgres.js";
export { SqliteKeyRows } from "./auth/key-rows-sqlite.js";
export { type ApiKeyInfo, type KeyRow, type KeyRows, KeyStore, validateScopes } from "./auth/key-store.js";
export { can, matchPattern, type Permission, type Principal, type Scope } from "./auth/scopes.js";
export { createEmbedder, type EmbedderConfig } from "./embedder-config.js";
export { Metrics } from "./metrics.js";
export { type RunningServer, type ServerOptions, startServer } from "./server.js";
export { PostgresTenantStore } from "./tenants/postgres-tenant-store.js";
export { SqliteTenantStore } from "./tenants/sqlite-tenant-store.js";
export type { EngineSettings, TenantInfo, TenantStore } from "./tenants/tenant-store.js";
