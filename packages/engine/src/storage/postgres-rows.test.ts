import { describe, expect, it } from "vitest";
import { parseVector, vectorParam } from "./postgres-rows.js";

/** What pgvector's `vector_send` writes: int16 dimensions, int16 unused, big-endian float4s. */
function sent(values: readonly number[]): Buffer {
  const buf = Buffer.alloc(4 + 4 * values.length);
  buf.writeUInt16BE(values.length, 0);
  for (const [i, x] of values.entries()) buf.writeFloatBE(x, 4 + 4 * i);
  return buf;
}

describe("pgvector values", () => {
  it("decodes the binary form exactly, also from a slice of a larger buffer", () => {
    const values = [0, -0, 1, -1.5, 3.4e38, 1.2e-38, 1e-45, Math.fround(0.1), Math.fround(-Math.PI)];
    expect([...parseVector(sent(values))]).toEqual(values.map(Math.fround));
    const wide = Buffer.concat([Buffer.from([9, 9, 9]), sent([0.25, -2])]);
    expect([...parseVector(wide.subarray(3))]).toEqual([0.25, -2]);
    expect(parseVector(sent([]))).toHaveLength(0);
  });

  it("refuses a value whose length does not match its dimension count", () => {
    expect(() => parseVector(sent([1, 2, 3]).subarray(0, 12))).toThrow(/cannot hold 3 dimensions/);
  });

  it("writes parameters as pgvector text", () => {
    expect(vectorParam(Float32Array.from([1, -0.5, 0]))).toBe("[1,-0.5,0]");
  });
});
