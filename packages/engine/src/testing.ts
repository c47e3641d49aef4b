/**
 * `@loci/engine/testing`: shared conformance suites for out-of-tree implementations.
 *
 * @module
 */

export { runEmbedderSuite } from "./embed/embedder.case.js";
export { runStorageDriverSuite, type StorageDriverSuiteOptions } from "./storage/driver.case.js";
export { type PgliteServer, type PgliteServerOptions, startPgliteServer } from "./testing/pglite-server.js";
export { overrideStores, type StoreOverrides } from "./testing/store-proxy.js";
export { openTempEngine, type TempEngine } from "./testing/temp-engine.js";
