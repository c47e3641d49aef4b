import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { seededRandom } from "../util/random.js";
import { loadSketchSnapshot, saveSketchSnapshot } from "./sketch-snapshot.js";
import { VectorSketch } from "./vector-sketch.js";

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "loci-sketch-snap-"));
  dirs.push(d);
  return d;
};

const D = 24;
const vector = (random: () => number) => Float32Array.from({ length: D }, () => random() - 0.5);

/** A sketch of `n` random vectors over seqs spread across chunks, and the vectors. */
function sketched(n: number, seed: number) {
  const random = seededRandom(seed);
  const sketch = new VectorSketch(D);
  const vectors = new Map<number, Float32Array>();
  for (let i = 0; i < n; i++) {
    const seq = 1 + Math.floor(random() * 40_000);
    const v = vector(random);
    sketch.set(seq, v);
    vectors.set(seq, v);
  }
  return { sketch, vectors, random };
}

describe("sketch snapshots", () => {
  it("load a sketch that bounds every similarity as the original does, plaintext or encrypted", async () => {
    const { sketch, vectors, random } = sketched(3_000, 4);
    for (const key of [undefined, randomBytes(32)]) {
      const dir = tempDir();
      await saveSketchSnapshot(sketch, { dir, key }, 17);
      const loaded = await loadSketchSnapshot(
        { dir, key },
        { dimensions: D, maxBytes: Number.POSITIVE_INFINITY },
      );
      expect(loaded?.generation).toBe(17);
      expect(loaded!.sketch.size).toBe(sketch.size);
      const q = sketch.query(vector(random));
      for (const seq of vectors.keys()) expect(loaded!.sketch.bounds(q, seq)).toEqual(sketch.bounds(q, seq));
      expect(loaded!.sketch.has(40_001)).toBe(false);
      // It keeps working as a sketch: new vectors, deletions.
      loaded!.sketch.set(50_000, vector(random));
      expect(loaded!.sketch.has(50_000)).toBe(true);
      for (const seq of vectors.keys()) loaded!.sketch.delete(seq);
      expect(loaded!.sketch.size).toBe(1);
    }
  });

  it("hold a chunk as it was when copied while the sketch changes, and stop at maxBytes", async () => {
    const { sketch, vectors, random } = sketched(8_000, 5);
    const dir = tempDir();
    // Changes between the chunks' copies: whole chunks dropped, vectors re-sketched.
    let writing = true;
    const seqs = [...vectors.keys()];
    const churn = () => {
      if (!writing) return;
      for (let i = 0; i < 50; i++) sketch.delete(seqs[Math.floor(random() * seqs.length)]!);
      setImmediate(churn);
    };
    setImmediate(churn);
    await saveSketchSnapshot(sketch, { dir }, 3);
    writing = false;
    const loaded = (await loadSketchSnapshot(
      { dir },
      { dimensions: D, maxBytes: Number.POSITIVE_INFINITY },
    ))!;
    const q = sketch.query(vector(random));
    // Whatever a loaded entry holds is the sketch of that seq's vector (never another's).
    let checked = 0;
    for (const [seq, v] of vectors) {
      const b = loaded.sketch.bounds(q, seq);
      if (!b) continue;
      const exact = new VectorSketch(D);
      exact.set(seq, v);
      expect(b).toEqual(exact.bounds(q, seq));
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
    const capped = (await loadSketchSnapshot({ dir }, { dimensions: D, maxBytes: 2 * 1024 * (D + 12) }))!;
    expect(capped.sketch.bytes).toBeLessThanOrEqual(2 * 1024 * (D + 12));
  });

  it("are ignored when missing, altered, of another dimension or encrypted differently", async () => {
    const { sketch } = sketched(500, 6);
    const dir = tempDir();
    const opts = { dimensions: D, maxBytes: Number.POSITIVE_INFINITY };
    expect(await loadSketchSnapshot({ dir }, opts)).toBeNull();
    await saveSketchSnapshot(sketch, { dir }, 1);
    expect(await loadSketchSnapshot({ dir }, { ...opts, dimensions: D + 1 })).toBeNull();
    expect(await loadSketchSnapshot({ dir, key: randomBytes(32) }, opts)).toBeNull();
    const file = join(dir, "vectors.sketch");
    const bytes = readFileSync(file);
    bytes[bytes.length - 10]! ^= 1;
    writeFileSync(file, bytes);
    expect(await loadSketchSnapshot({ dir }, opts)).toBeNull();
    const key = randomBytes(32);
    await saveSketchSnapshot(sketch, { dir, key }, 2);
    expect(readFileSync(file).includes(Buffer.from('"dimensions":24'))).toBe(true);
    expect(await loadSketchSnapshot({ dir }, opts)).toBeNull();
    expect((await loadSketchSnapshot({ dir, key }, opts))?.sketch.size).toBe(sketch.size);
    // An empty sketch round-trips too.
    await saveSketchSnapshot(new VectorSketch(D), { dir, key }, 3);
    expect((await loadSketchSnapshot({ dir, key }, opts))?.sketch.size).toBe(0);
  });
});
