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

/** Zipf-distributed words (P(rank k) ∝ 1/k) over a fixed 5,000-word vocabulary, drawn with `r`. */
function zipfWords(r: () => number): (len: number) => string {
  const vocab = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}`);
  // Sample by inverting the cumulative harmonic sum.
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
  return (len) => Array.from({ length: len }, word).join(" ");
}

/** `count` random unit vectors (cluster centres). */
function centresOf(r: () => number, count: number, dims: number): Float32Array[] {
  return Array.from({ length: count }, () => unit(Float32Array.from({ length: dims }, () => gaussian(r))));
}

/** A unit vector near a random centre (σ = 0.08 per dimension). */
function nearOf(r: () => number, centres: Float32Array[]): () => Float32Array {
  return () => {
    const c = centres[Math.floor(r() * centres.length)]!;
    return unit(c.map((x) => x + gaussian(r) * 0.08));
  };
}

/** Builds `n` documents of `dims`-d vectors around `n / 100` centres, plus `q` queries. */
export function makeCorpus(opts: { n: number; dims: number; queries: number; seed?: number }): Corpus {
  const r = rng(opts.seed ?? 42);
  const centres = centresOf(r, Math.max(10, Math.floor(opts.n / 100)), opts.dims);
  const text = zipfWords(r);
  const near = nearOf(r, centres);
  return {
    vectors: Array.from({ length: opts.n }, near),
    texts: Array.from({ length: opts.n }, () => text(20 + Math.floor(r() * 30))),
    queries: Array.from({ length: opts.queries }, () => ({ vector: near(), text: text(3) })),
  };
}

/** Metadata of stream document `i`: `group` (10 values, so a `group` filter keeps 10%) and `source`. */
export interface StreamMetadata {
  group: number;
  source: string;
}

const SOURCES = ["chat", "email", "ticket", "doc"];

/** The metadata of stream document `i` (deterministic). */
export function streamMetadata(i: number): StreamMetadata {
  return { group: i % 10, source: SOURCES[i % SOURCES.length]! };
}

/** One batch of a {@link CorpusStream}: documents `start … start + texts.length − 1`. */
export interface StreamBatch {
  start: number;
  vectors: Float32Array[];
  texts: string[];
  metadata: StreamMetadata[];
}

/** A query of a {@link CorpusStream}, with the `group` its filtered variant keeps. */
export interface StreamQuery {
  vector: Float32Array;
  text: string;
  group: number;
}

/**
 * A corpus generated batch by batch, so a benchmark process holds only what the system under test
 * keeps (its resident memory is then the system's). Same construction as {@link makeCorpus}
 * (clustered unit vectors, `n / 100` centres, Zipf texts of 20–49 words), but vectors, texts and
 * queries come from separate seeded generators, so every process sees identical data whatever
 * batch size it reads with.
 */
export class CorpusStream {
  readonly n: number;
  readonly dims: number;
  readonly #seed: number;
  readonly #centres: Float32Array[];

  constructor(opts: { n: number; dims: number; seed?: number }) {
    this.n = opts.n;
    this.dims = opts.dims;
    this.#seed = opts.seed ?? 42;
    this.#centres = centresOf(rng(this.#seed), Math.max(10, Math.floor(opts.n / 100)), opts.dims);
  }

  /** Every document, in order, `size` at a time. */
  *batches(size: number): Generator<StreamBatch> {
    const near = nearOf(rng(this.#seed + 1), this.#centres);
    const rt = rng(this.#seed + 2);
    const text = zipfWords(rt);
    for (let start = 0; start < this.n; start += size) {
      const len = Math.min(size, this.n - start);
      yield {
        start,
        vectors: Array.from({ length: len }, near),
        texts: Array.from({ length: len }, () => text(20 + Math.floor(rt() * 30))),
        metadata: Array.from({ length: len }, (_, j) => streamMetadata(start + j)),
      };
    }
  }

  /** `count` queries: a vector near a centre, 3 Zipf words, and a filter group. */
  queries(count: number): StreamQuery[] {
    const r = rng(this.#seed + 3);
    const near = nearOf(r, this.#centres);
    const text = zipfWords(r);
    return Array.from({ length: count }, (_, i) => ({ vector: near(), text: text(3), group: i % 10 }));
  }
}

/** p-th percentile (0–100) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
