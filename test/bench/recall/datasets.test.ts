import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DatasetError, loadDataset, parseEvidence, parseLocomoTime, parseRealtalkTime } from "./datasets.js";

const FIXTURE = join(import.meta.dirname, "fixtures", "locomo-tiny.json");

describe("parseEvidence", () => {
  const known = new Set(["D1:1", "D1:2", "D1:3", "D1:5", "D13:45", "D20:19"]);
  it("expands ranges within a day, splits groups and odd forms, drops unknown ids", () => {
    expect(parseEvidence(["D1:1-D1:3"], known)).toEqual(["D1:1", "D1:2", "D1:3"]);
    expect(parseEvidence("D1:2-3", known)).toEqual(["D1:2", "D1:3"]);
    expect(parseEvidence(["D1:5; D1:1.", "D9:9"], known)).toEqual(["D1:5", "D1:1"]);
    expect(parseEvidence(["D13:45:D20:19"], known)).toEqual(["D13:45", "D20:19"]);
    expect(parseEvidence(["D 1:5"], known)).toEqual(["D1:5"]);
    expect(parseEvidence(["D1:3-D2:1"], known)).toEqual(["D1:3"]);
    expect(parseEvidence(undefined, known)).toEqual([]);
  });
});

describe("time parsing", () => {
  it("reads LoCoMo and REALTALK times as UTC", () => {
    expect(parseLocomoTime("1:56 pm on 8 May, 2023")).toBe(Date.UTC(2023, 4, 8, 13, 56));
    expect(parseLocomoTime("12:05 am on 1 January, 2024")).toBe(Date.UTC(2024, 0, 1, 0, 5));
    expect(parseLocomoTime("8 May 2023")).toBe(Date.UTC(2023, 4, 8, 12));
    expect(parseLocomoTime("sometime")).toBeNull();
    expect(parseRealtalkTime("29.12.2023, 22:42:04")).toBe(Date.UTC(2023, 11, 29, 22, 42, 4));
    expect(parseRealtalkTime("29/12/2023")).toBeNull();
  });
});

describe("loadDataset", () => {
  it("loads LoCoMo samples: turns timed by session, captions kept, unresolvable questions counted", () => {
    const ds = loadDataset(FIXTURE);
    expect(ds.format).toBe("locomo");
    expect(ds.conversations.map((c) => c.id)).toEqual(["tiny-1", "tiny-2"]);
    const [one, two] = ds.conversations;
    expect(one!.turns).toHaveLength(7); // the empty turn is dropped
    expect(one!.turns[1]!.time - one!.turns[0]!.time).toBe(60_000);
    expect(one!.turns[4]).toMatchObject({
      id: "D2:1",
      session: "session_2",
      time: Date.UTC(2023, 4, 20, 19, 10),
    });
    expect(one!.turns[3]!.text).toContain("[image: a photo of a clay bowl]");
    expect(one!.questions.map((q) => q.category)).toEqual([
      "single-hop",
      "multi-hop",
      "temporal",
      "open-domain",
      "adversarial",
    ]);
    expect(one!.questions[1]!.evidence).toEqual(["D1:4", "D2:2"]);
    expect(one!.skipped).toBe(1);
    expect(two!.questions[1]!.evidence).toEqual(["D1:3"]);
    expect(loadDataset(FIXTURE, { limit: 1 }).conversations).toHaveLength(1);
  });

  it("fails clearly on bad files", () => {
    const dir = mkdtempSync(join(tmpdir(), "recall-ds-"));
    try {
      writeFileSync(join(dir, "bad.json"), "{ not json");
      expect(() => loadDataset(join(dir, "bad.json"))).toThrow(DatasetError);
      writeFileSync(join(dir, "bad.json"), JSON.stringify({ hello: 1 }));
      expect(() => loadDataset(join(dir, "bad.json"))).toThrow(/not LoCoMo/);
      writeFileSync(join(dir, "bad.json"), JSON.stringify([{ conversation: "x" }]));
      expect(() => loadDataset(join(dir, "bad.json"))).toThrow(/no "conversation" object/);
      rmSync(join(dir, "bad.json"));
      expect(() => loadDataset(dir)).toThrow(/no .json files/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
