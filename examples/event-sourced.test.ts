import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { example } from "./event-sourced.js";

let dataDir: string | undefined;
afterEach(() => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

const HOUR = 3_600_000;

describe("event-sourced example", () => {
  it("delivers every anomaly once, in order, and recalls recent severe anomalies first", async () => {
    dataDir = mkdtempSync(join(tmpdir(), "loci-ex-events-"));
    const lines: string[] = [];
    const result = await example.run({ dataDir, log: (l) => lines.push(l) });
    const ids = result.published.map((a) => a.id);

    // Live: exactly once each, in publication order, seqs strictly increasing.
    expect(result.published).toHaveLength(8);
    expect(result.liveIds).toEqual(ids);
    expect(new Set(result.liveIds).size).toBe(ids.length);
    for (let i = 1; i < result.liveSeqs.length; i++) {
      expect(result.liveSeqs[i]!).toBeGreaterThan(result.liveSeqs[i - 1]!);
    }
    expect(result.paged).toEqual(result.published.filter((a) => a.severity === "critical").map((a) => a.id));
    // Replay from the durable log: the same events, same order.
    expect(result.replayedIds).toEqual(ids);

    // Recall: exactly the high/critical anomalies, newest first.
    const severe = result.published.filter((a) => a.severity === "high" || a.severity === "critical");
    expect(result.recall.map((h) => h.id).sort()).toEqual(severe.map((a) => a.id).sort());
    expect(result.recall.map((h) => h.id)).toEqual(severe.map((a) => a.id).reverse());
    expect(result.recall[0]).toMatchObject({ severity: "critical" });
    // Recency weighting changed the winner: by relevance alone an older anomaly leads.
    expect(result.byRelevanceIds[0]).not.toBe(result.recall[0]!.id);

    // The score follows the README: final = (1 − w)·relevance·retention + w·recency, with w = 0.8, and
    // recency = retention = 2^(−age/12 h) here (exponential, 12 h half-life, importance 0.5, never re-read).
    const now = Date.parse(result.recalledAt);
    for (const { createdAt, score, scores } of result.recall) {
      const ageHours = (now - Date.parse(createdAt)) / HOUR;
      expect(scores.recency).toBeCloseTo(2 ** (-ageHours / 12), 12);
      expect(scores.retention).toBeCloseTo(2 ** (-ageHours / 12), 12);
      expect(score).toBeCloseTo(0.2 * scores.relevance * scores.retention + 0.8 * scores.recency, 12);
    }

    const text = lines.join("\n");
    expect(text).toContain("diagnosis saw 8 events for 8 anomalies, paged 2 times");
    expect(text).toContain("with recencyWeight 0.8 the newest severe one leads: Mar 3 00:00 [critical]");
    expect(text).toContain("replayed 8 memory.added events from seq 0, in the same order");
  });
});
