/**
 * `@loci/server/testing`: start a real server for tests.
 *
 * @module
 */
export { startTestServer, type TestServer } from "./testing/test-server.js";
