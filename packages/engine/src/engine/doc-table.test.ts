import { describe, expect, it } from "vitest";
import type { MemoryRecord } from "../storage/driver.js";
import { DocTable } from "./doc-table.js";

function record(seq: number, over: Partial<MemoryRecord> = {}): MemoryRecord {
  return {
    seq,
    id: `m${seq}`,
    content: `memory ${seq}`,
    metadata: { n: seq },
    sessionId: null,
    agentId: null,
    importance: 0.5,
    createdAt: 1_000 + seq,
    updatedAt: 1_000 + seq,
    lastAccessedAt: 1_000 + seq,
    accessCount: 0,
    expiresAt: null,
    embedding: new Float32Array(2),
    entities: [],
    ...over,
  };
}

describe("DocTable", () => {
  it("keeps attributes only: no content, embedding or entity links", () => {
    const table = new DocTable();
    expect(table.put(record(1))).toBe(true);
    expect(table.put(record(1, { importance: 0.9 }))).toBe(false);
    const doc = table.docs.get(1)!;
    expect(doc.importance).toBe(0.9);
    expect(Object.keys(doc)).not.toContain("content");
    expect(Object.keys(doc)).not.toContain("embedding");
    expect(Object.keys(doc)).not.toContain("entities");
    expect(table.seqById.get("m1")).toBe(1);
  });

  it("counts expiring memories through replacements and deletes", () => {
    const table = new DocTable();
    table.put(record(1, { expiresAt: 5_000 }));
    table.put(record(2, { expiresAt: 6_000 }));
    table.put(record(3));
    expect(table.expiring).toBe(2);
    table.put(record(1, { expiresAt: null }));
    expect(table.expiring).toBe(1);
    table.put(record(3, { expiresAt: 7_000 }));
    expect(table.expiring).toBe(2);
    expect(table.delete(2)).toBe(true);
    expect(table.delete(2)).toBe(false);
    expect(table.expiring).toBe(1);
    expect(table.seqById.has("m2")).toBe(false);
  });

  it("restores seq order after an insert below the highest seq, and keeps maxSeq after deletes", () => {
    const table = new DocTable();
    for (const seq of [1, 4, 7]) table.put(record(seq));
    table.put(record(5));
    table.put(record(2));
    expect([...table.docs.keys()]).toEqual([1, 4, 7, 5, 2]);
    table.restoreOrder();
    expect([...table.docs.keys()]).toEqual([1, 2, 4, 5, 7]);
    table.delete(7);
    expect(table.maxSeq).toBe(7);
    // Replacing a memory in place keeps the order: nothing to restore.
    table.put(record(2, { importance: 1 }));
    table.restoreOrder();
    expect([...table.docs.keys()]).toEqual([1, 2, 4, 5]);
  });

  it("keeps cached filter matches in step with puts and deletes", () => {
    const table = new DocTable();
    for (const seq of [1, 2, 3])
      table.put(record(seq, { metadata: { team: seq === 2 ? "billing" : "triage" } }));
    const billing = (m: Readonly<Record<string, unknown>>) => m.team === "billing";
    expect(table.filters.lookup("team=billing", billing, table.docs)).toBeNull(); // first use: recorded only
    const matches = table.filters.lookup("team=billing", billing, table.docs)!;
    expect([...matches.seqs()]).toEqual([2]);
    table.put(record(3, { metadata: { team: "billing" } }));
    table.delete(2);
    expect([...matches.seqs()]).toEqual([3]);
  });

  it("counts search hits on live memories only, never moving lastAccessedAt back", () => {
    const table = new DocTable();
    table.put(record(1, { lastAccessedAt: 9_000 }));
    table.put(record(2));
    expect(table.touch([1, 2, 3], 5_000)).toEqual([1, 2]);
    expect(table.docs.get(1)).toMatchObject({ lastAccessedAt: 9_000, accessCount: 1 });
    expect(table.docs.get(2)).toMatchObject({ lastAccessedAt: 5_000, accessCount: 1 });
  });
});
