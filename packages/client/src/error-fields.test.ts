import { describe, expect, it } from "vitest";
import { fieldFromWire, fieldToWire, renameErrorField } from "./error-fields.js";

describe("error field names", () => {
  it("renames engine paths to wire paths and back", () => {
    for (const [engine, rest] of [
      ["vectorIndex.efConstruction", "vector_index.ef_construction"],
      ["memories[12].sessionId", "memories[12].session_id"],
      ["edges[0].edgeType", "edges[0].edge_type"],
      ["time.referenceTime", "time.reference_time"],
      ["query", "query"],
    ] as const) {
      expect(fieldToWire(engine)).toBe(rest);
      expect(fieldFromWire(rest)).toBe(engine);
    }
  });

  it("leaves header names as they are, both ways", () => {
    for (const header of ["Idempotency-Key", "Last-Event-ID"]) {
      expect(fieldToWire(header)).toBe(header);
      expect(fieldFromWire(header)).toBe(header);
    }
  });

  it("leaves the caller's own keys under metadata and properties untouched", () => {
    expect(fieldToWire("memories[0].metadata.customerId.lastSeenAt")).toBe(
      "memories[0].metadata.customerId.lastSeenAt",
    );
    expect(fieldFromWire("entities[1].properties.home_town")).toBe("entities[1].properties.home_town");
    expect(fieldFromWire("metadata[2].some_key")).toBe("metadata[2].some_key");
  });

  it("renames the field where the message names it, and nothing without a field", () => {
    const err = {
      message: "vectorIndex.m must be an integer from 4 to 96",
      details: { field: "vectorIndex.m" },
    };
    expect(renameErrorField(err, fieldToWire)).toEqual({
      message: "vector_index.m must be an integer from 4 to 96",
      details: { field: "vector_index.m" },
    });
    const plain = { message: "limit must be positive", details: { field: "limit" } };
    expect(renameErrorField(plain, fieldToWire)).toBe(plain);
    const none = { message: "boom" };
    expect(renameErrorField(none, fieldToWire)).toBe(none);
  });
});
