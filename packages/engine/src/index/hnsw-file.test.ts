import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import hnswlib from "hnswlib-node";
import { afterEach, describe, expect, it } from "vitest";
import { seededRandom } from "../util/random.js";
import { checkIndexFile, fileSha256 } from "./hnsw-file.js";

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a real hnswlib index of `count` random 16-d vectors (some on upper levels). */
function writeIndex(count: number): string {
  dir = mkdtempSync(join(tmpdir(), "loci-hnsw-file-"));
  const index = new hnswlib.HierarchicalNSW("cosine", 16);
  index.initIndex({ maxElements: count * 2, m: 8, efConstruction: 50, randomSeed: 1 });
  const random = seededRandom(5);
  for (let i = 0; i < count; i++)
    index.addPoint(
      Array.from({ length: 16 }, () => random() - 0.5),
      i,
    );
  const file = join(dir, "index.hnsw");
  index.writeIndexSync(file);
  return file;
}

describe("checkIndexFile", () => {
  it("accepts a complete index file and rejects truncated, padded or mismatched ones", async () => {
    const file = writeIndex(500);
    await expect(checkIndexFile(file, { count: 500, dimensions: 16 })).resolves.toBeUndefined();
    await expect(checkIndexFile(file, { count: 499, dimensions: 16 })).rejects.toThrow(/expected 499/);
    await expect(checkIndexFile(file, { count: 500, dimensions: 32 })).rejects.toThrow(/dimensions/);
    const size = readFileSync(file).length;
    // Cut in the header, in the vectors, in the link lists, and by a single byte.
    for (const cut of [0, 50, 200, Math.floor(size / 2), size - 1]) {
      const copy = join(dir, `cut-${cut}.hnsw`);
      copyFileSync(file, copy);
      truncateSync(copy, cut);
      await expect(checkIndexFile(copy, { count: 500, dimensions: 16 })).rejects.toThrow();
    }
    const padded = join(dir, "padded.hnsw");
    writeFileSync(padded, Buffer.concat([readFileSync(file), Buffer.alloc(8)]));
    await expect(checkIndexFile(padded, { count: 500, dimensions: 16 })).rejects.toThrow(/unexpected bytes/);
  });

  it("without an expected count, takes the header's, and refuses an implausible capacity", async () => {
    const file = writeIndex(500); // capacity 1,000
    await expect(checkIndexFile(file, { dimensions: 16 })).resolves.toBeUndefined();
    const bytes = readFileSync(file);
    const huge = Buffer.from(bytes);
    huge.writeBigUInt64LE(1n << 40n, 8); // maxElements: a flipped high bit
    writeFileSync(file, huge);
    await expect(checkIndexFile(file, { dimensions: 16 })).rejects.toThrow(/capacity/);
    const small = Buffer.from(bytes);
    small.writeBigUInt64LE(10n, 8); // less than the elements it holds
    writeFileSync(file, small);
    await expect(checkIndexFile(file, { dimensions: 16 })).rejects.toThrow(/capacity/);
    await expect(checkIndexFile(file, { count: 500, dimensions: 16 })).rejects.toThrow(/capacity/);
  });

  it("hashes a file in chunks to the same digest as hashing it whole", async () => {
    const file = writeIndex(2000);
    const whole = createHash("sha256").update(readFileSync(file)).digest("hex");
    expect(await fileSha256(file)).toBe(whole);
    expect(await fileSha256(file, { offThread: true })).toBe(whole);
    expect(await fileSha256(file, { offThread: false })).toBe(whole);
  });
});
