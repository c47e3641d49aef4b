/** The shared client suite, run against the embedded engine and against LociClient + a real server. */
import { openTempEngine } from "@loci/engine/testing";
import { startTestServer } from "@loci/server/testing";
import { describe } from "vitest";
import { runClientSuite } from "./client-conformance.case.js";

describe("embedded engine (Loci)", () => {
  runClientSuite({
    setup: async () => {
      const env = await openTempEngine();
      return { client: env.loci, cleanup: () => env.cleanup() };
    },
  });
});

describe("LociClient over HTTP", () => {
  runClientSuite({
    setup: async () => {
      const t = await startTestServer();
      return { client: t.root, cleanup: () => t.stop() };
    },
  });
});
