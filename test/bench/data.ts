/**
 * Synthetic benchmark data: clustered unit vectors (so nearest neighbours are meaningful, like
 * sentence embeddings) and texts drawn from a Zipf-distributed vocabulary, from a seeded generator.
 */

/** A seeded PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

function unit(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  const inv = 1 / Math.sqrt(n);
  for (let i = 0; i < v.length; i++) v[i]! *= inv;
  return v;
}

/** One benchmark corpus. */
export interface Corpus {
  vectors: Float32Array[];
  texts: string[];
  queries: { vector: Float32Array; text: string }[];
}

/** Builds `n` documents of `dims`-d vectors around `n / 100` centres, plus `q` queries. */
export function makeCorpus(opts: { n: number; dims: number; queries: number; seed?: number }): Corpus {
  const r = rng(opts.seed ?? 42);
  const centres = Array.from({ length: Math.max(10, Math.floor(opts.n / 100)) }, () =>
    unit(Float32Array.from({ length: opts.dims }, () => gaussian(r))),
  );
  const vocab = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}`);
  // Zipf: P(rank k) ∝ 1/k — sample by inverting the cumulative harmonic sum.
  const cumulative: number[] = [];
  let h = 0;
  for (let k = 1; k <= vocab.length; k++) {
    h += 1 / k;
    cumulative.push(h);
  }
  const word = () => {
    const x = r() * h;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return vocab[lo]!;
  };
  const near = () => {
    const c = centres[Math.floor(r() * centres.length)]!;
    return unit(c.map((x) => x + gaussian(r) * 0.08));
  };
  const text = (len: number) => Array.from({ length: len }, word).join(" ");
  return {
    vectors: Array.from({ length: opts.n }, near),
    texts: Array.from({ length: opts.n }, () => text(20 + Math.floor(r() * 30))),
    queries: Array.from({ length: opts.queries }, () => ({ vector: near(), text: text(3) })),
  };
}

/** p-th percentile (0–100) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
