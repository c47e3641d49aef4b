import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { example } from "./session-pipeline.js";

let dataDir: string | undefined;
afterEach(() => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

describe("session-pipeline example", () => {
  it("keeps each ticket's steps in order, scoped to its session, and ends the session", async () => {
    dataDir = mkdtempSync(join(tmpdir(), "loci-ex-session-"));
    const lines: string[] = [];
    const result = await example.run({ dataDir, log: (l) => lines.push(l) });

    // Insertion order with provenance, despite the interleaved writes of the other ticket.
    expect(result.storyBeforeBilling.map((s) => s.agentId)).toEqual(["triage", "technical", "technical"]);
    expect(result.storyBeforeBilling[0]!.content).toContain("charged twice");
    expect(result.storyBeforeBilling[2]!.content).toContain("PR #5512");
    expect(result.story.map((s) => s.agentId)).toEqual(["triage", "technical", "technical", "billing"]);
    expect(result.story.slice(0, 3)).toEqual(result.storyBeforeBilling);
    expect(result.story.every((s) => !s.content.includes("cust_7"))).toBe(true);
    expect(result.otherTicket.map((s) => s.agentId)).toEqual(["triage", "technical"]);
    expect(result.otherTicket.every((s) => s.content.includes("cust_7"))).toBe(true);

    // A session-scoped search returns only that ticket's steps; unscoped, the other ticket competes.
    expect(result.searchSessionIds).toHaveLength(3);
    expect(new Set(result.searchSessionIds)).toEqual(new Set(["TKT-1234"]));
    expect(result.searchTop).toContain("charged");
    expect(result.unscopedSessionIds).toContain("TKT-1300");

    expect(result.ended.memoryCount).toBe(4);
    expect(result.ended.endedAt).not.toBeNull();
    expect(result.addAfterEnd).toBe("SESSION_ENDED");
    expect(result.activeSessions).toEqual(["TKT-1300"]);

    const text = lines.join("\n");
    expect(text).toContain("billing recalls TKT-1234 before acting: 3 steps, in order:");
    expect(text).toContain("within TKT-1234: 3 hits");
    expect(text).toContain("final story of TKT-1234: triage → technical → technical → billing");
    expect(text).toContain("a late add to TKT-1234 is refused: SESSION_ENDED");
  });
});
