import { FilterError, ValidationError } from "@loci/engine";
import { describe, expect, it } from "vitest";
import { assertSendable } from "./json-check.js";

const thrown = (body: unknown) => {
  try {
    assertSendable(body);
    return null;
  } catch (err) {
    return err as ValidationError | FilterError;
  }
};

describe("assertSendable", () => {
  it("lets through what JSON carries, and optional fields left undefined", () => {
    expect(
      thrown({
        content: "x",
        session_id: undefined,
        properties: undefined,
        metadata: { a: [1, "b", null, { c: true }], __proto__x: 1 },
        embedding: new Float32Array([0.5]),
        created_at: new Date(0),
        metadata_filter: { a: { $in: [1, 2] }, $or: [{ b: { $exists: false } }] },
      }),
    ).toBeNull();
  });

  it("lets metadata and filters that are left out be left out", () => {
    expect(thrown({ metadata: undefined, id: "s1" })).toBeNull();
    expect(thrown({ query: "q", metadata_filter: undefined })).toBeNull();
  });

  it("names a bad filter value by its place in the filter", () => {
    const err = thrown({ query: "q", metadata_filter: { $or: [{ "x.y": { $gt: Number.NaN } }] } });
    expect(err).toBeInstanceOf(FilterError);
    expect(err!.details).toEqual({ path: 'filter.$or[0]["x.y"].$gt' });
  });

  it("names a bad field in engine (camelCase) terms outside metadata, exactly inside it", () => {
    const field = (body: unknown) => thrown(body)?.details?.field;
    expect(field({ recency_weight: Number.POSITIVE_INFINITY })).toBe("recencyWeight");
    expect(field({ memories: [{ content: "a" }, { content: "b", created_at: new Date(Number.NaN) }] })).toBe(
      "memories[1].createdAt",
    );
    expect(field({ metadata: { some_key: { when: undefined } } })).toBe("metadata.some_key.when");
    expect(field({ edges: [{ metadata: { m: new Map() } }] })).toBe("edges[0].metadata.m");
    expect(field({ limit: 10n })).toBe("limit");
    expect(thrown({ metadata: { a: Number.NaN } })).toBeInstanceOf(ValidationError);
  });
});
