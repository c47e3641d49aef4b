import type { Namespace } from "@loci/engine";
import { describe, expect, it } from "vitest";
import { namespaceFromWire, namespaceToWire } from "./wire.js";

const ns: Namespace = {
  name: "archive",
  description: "",
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-02T00:00:00.000Z",
  memoryCount: 3,
  config: {
    decayStrategy: "none",
    decayHalfLifeHours: 168,
    maxMemories: null,
    reinforceOnAccess: true,
    sentenceVectors: true,
    vectorIndex: { m: 32, efConstruction: 200, efSearch: 64 },
    embedding: { model: "hash-64", dimensions: 64 },
  },
  indexing: { pendingVectors: 1, graphRebuildPending: 2, sentenceBackfillPending: 3 },
};

describe("namespace wire format", () => {
  it("round-trips a namespace, its background work included", () => {
    const w = namespaceToWire(ns);
    expect(w.indexing).toEqual({
      pending_vectors: 1,
      graph_rebuild_pending: 2,
      sentence_backfill_pending: 3,
    });
    expect(namespaceFromWire(JSON.parse(JSON.stringify(w)))).toEqual(ns);
  });

  it("reads a namespace from a server that does not report indexing as idle", () => {
    const { indexing: _, ...older } = namespaceToWire(ns);
    expect(namespaceFromWire(older).indexing).toEqual({
      pendingVectors: 0,
      graphRebuildPending: 0,
      sentenceBackfillPending: 0,
    });
  });
});
