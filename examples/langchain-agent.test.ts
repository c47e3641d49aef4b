import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { example, PREFERENCE } from "./langchain-agent.js";

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "loci-example-test-"));
});
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe("langchain-agent example", () => {
  it("saves a preference in run 1 and recalls it in run 2 on a new thread, after a restart", async () => {
    const lines: string[] = [];
    const { run1, run2, storedPreferences } = await example.run({ dataDir, log: (l) => lines.push(l) });

    // run 1 found nothing, then saved the preference through the Loci-backed store
    expect(run1.threadId).toBe("ticket-A");
    expect(run1.toolCalls).toEqual(["recall_preferences", "save_preference"]);
    expect(storedPreferences).toEqual([PREFERENCE]);

    // run 2: a new thread with no history; the model's first prompt has nothing of run 1 …
    expect(run2.threadId).toBe("ticket-B");
    expect(run2.historyBefore).toBe(0);
    expect(run2.firstPrompt).not.toContain("dana@example.com");
    expect(run2.toolCalls).toEqual(["recall_preferences"]);
    // … yet the reply carries the preference, recalled from the store
    expect(run2.reply).toContain("follow your saved preference");
    expect(run2.reply).toContain(PREFERENCE);
    expect(lines.some((l) => l.includes("2 ticket transcripts"))).toBe(true);
  });
});
