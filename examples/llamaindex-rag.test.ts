import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { example } from "./llamaindex-rag.js";

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "loci-example-test-"));
});
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe("llamaindex-rag example", () => {
  it("retrieves the right page, answers from it, and answers again after a reopen without re-embedding", async () => {
    const lines: string[] = [];
    const r = await example.run({ dataDir, log: (l) => lines.push(l) });

    expect(r.nodeCount).toBe(4);
    expect(r.embeddedAtBuild).toBeGreaterThanOrEqual(4);
    expect(r.retrieved[0]).toBe("security");

    expect(r.first.map((a) => a.topPage)).toEqual(["refunds", "on-call"]);
    expect(r.first[0]!.answer).toBe("Customers can request a full refund within 30 days of purchase.");
    expect(r.first[1]!.answer).toBe("Pages must be acknowledged within 15 minutes.");

    // reopened from disk: same answers, and only the two questions were embedded
    expect(r.reopened).toEqual(r.first);
    expect(r.embeddedAfterReopen).toBe(2);
    expect(lines.some((l) => l.startsWith("After the reopen, 2 texts were embedded"))).toBe(true);
  });
});
