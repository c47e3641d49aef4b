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
export { type ApiKeyInfo, KeyStore, validateScopes } from "./auth/key-store.js";
export { can, matchPattern, type Permission, type Principal, type Scope } from "./auth/scopes.js";
export { createEmbedder, type EmbedderConfig } from "./embedder-config.js";
export { Metrics } from "./metrics.js";
export { type RunningServer, type ServerOptions, startServer } from "./server.js";
