/** The security suite against a server on the embedded default (SQLite, encrypted tenant data). */
import { startTestServer } from "@loci/server/testing";
import { runSecuritySuite } from "./security.case.js";

runSecuritySuite({ start: () => startTestServer(), fuzzRuns: 10_000 });
