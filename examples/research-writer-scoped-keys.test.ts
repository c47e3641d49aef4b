import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { example, PRIVATE_NOTES } from "./research-writer-scoped-keys.js";

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "loci-example-test-"));
});
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe("research-writer-scoped-keys example", () => {
  it("the writer reads the shared findings with its key and is refused the researcher's notes (403)", async () => {
    const lines: string[] = [];
    const r = await example.run({ dataDir, log: (l) => lines.push(l) });

    // the writer really got the researcher's shared findings, with provenance
    expect(r.writerRead).toHaveLength(2);
    expect(r.writerRead.map((f) => f.sourceAgent)).toEqual(["researcher", "researcher"]);
    expect(r.writerRead.map((f) => f.content).join("\n")).toContain("31% more tickets");
    expect(r.draft).toContain("31% more tickets");

    // … and nothing private: the server refused with a typed 403
    expect(r.readRefused).toEqual({ status: 403, code: "FORBIDDEN", error: "LociError" });
    expect(r.writeRefused).toMatchObject({ status: 403, code: "FORBIDDEN" });
    for (const note of PRIVATE_NOTES) {
      expect(r.draft).not.toContain(note);
      expect(r.writerRead.map((f) => f.content)).not.toContain(note);
    }
    expect(r.researcherNoteCount).toBe(PRIVATE_NOTES.length);

    expect(lines[0]).toMatch(/^Loci server listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(lines.at(-1)).toBe("Server stopped.");
  });
});
