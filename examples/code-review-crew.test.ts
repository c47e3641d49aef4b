import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type CodeReviewResult, example, PERFORMANCE_THOUGHT, SECURITY_NOTE } from "./code-review-crew.js";

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "loci-example-test-"));
});
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe("code-review-crew example", () => {
  it("summarizes both reviewers' findings, recalled from shared memory with provenance", async () => {
    const lines: string[] = [];
    const r: CodeReviewResult = await example.run({ dataDir, log: (l) => lines.push(l) });

    // both reviewers published a real finding, with provenance
    expect(r.shared.map((s) => [s.sourceAgent, s.task])).toEqual([
      ["Security Reviewer", "security-review"],
      ["Performance Reviewer", "performance-review"],
      ["Review Summarizer", "summary"],
    ]);
    expect(r.shared[0]!.content).toContain("SQL injection");
    expect(r.shared[1]!.content).toContain("N+1 queries");

    // the summary model got them through memory (no hand-off), each with its author
    expect(r.summaryPrompt).toContain("## This run");
    expect(r.summaryPrompt).not.toContain("# Context from previous tasks");
    expect(r.summaryPrompt).toContain(`${r.shared[0]!.content} (from Security Reviewer)`);
    expect(r.summaryPrompt).toContain(`${r.shared[1]!.content} (from Performance Reviewer)`);
    expect(r.summary).toMatch(/^Request changes \(2 blocking findings\)/);
    expect(r.summary).toContain("[Security] SQL injection");
    expect(r.summary).toContain("[Performance] N+1 queries");

    // private notes stay private
    expect(r.privateNotes["Security Reviewer"]).toContain(SECURITY_NOTE);
    expect(r.privateNotes["Performance Reviewer"]!.join("\n")).toContain(PERFORMANCE_THOUGHT);
    expect(r.summaryPrompt).not.toContain(SECURITY_NOTE);
    expect(r.summaryPrompt).not.toContain(PERFORMANCE_THOUGHT);

    // the coordinator log tracked every task
    expect(r.coordinatorLog).toHaveLength(9);
    expect(r.coordinatorLog.slice(-3)).toEqual([
      "summary:assigned (Review Summarizer)",
      "summary:started (Review Summarizer)",
      "summary:completed (Review Summarizer)",
    ]);
    expect(lines.join("\n")).toContain("Final summary:");
  });
});
