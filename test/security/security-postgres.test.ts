/**
 * The security suite against a server whose storage is PostgreSQL (tenants as schemas, keys in
 * `loci_system`): the same route × caller matrix, and a shorter fuzzing run (every request goes
 * through the database).
 */
import { startTestServer } from "@loci/server/testing";
import { usePostgres } from "../pg-harness.js";
import { runSecuritySuite } from "./security.case.js";

const db = usePostgres();
runSecuritySuite({ start: () => startTestServer({ storage: db.url }), afterStop: db.reset, fuzzRuns: 1_000 });
