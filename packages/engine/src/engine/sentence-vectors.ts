/**
 * Sentence vectors (namespace option `sentenceVectors`): a memory written with two or more
 * sentences also stores one vector per sentence, and search scores its vector side by the closer of
 * its whole text and its best sentence. A long memory whose answer is one sentence among others is
 * then no longer diluted by the rest of its text.
 *
 * Sentences end at `.`, `!` or `?` followed by white space, or at a line break. A leading label
 * (`Alice: …`, `ERROR: …`: at most 4 words before the first `: `) says who or what the memory is
 * about, so every sentence keeps it (`Alice: I moved. I love it.` → `Alice: I moved.`,
 * `Alice: I love it.`). At most {@link MAX_SENTENCES} pieces are embedded: longer memories are cut
 * into that many runs of consecutive sentences.
 *
 * @module
 */
import type { Embedder } from "../embed/embedder.js";
import { cosine } from "../util/vectors.js";
import type { NamespaceRuntime } from "./namespace-runtime.js";

/** Most sentence vectors stored per memory. */
export const MAX_SENTENCES = 16;

const BOUNDARY = /(?<=[.!?])\s+|\n+/;
const LABEL = /^([^\s:][^:\n]{0,39}):\s+/;

/** The leading label of a memory (`"Alice"` in `"Alice: …"`), or `null`. */
export function leadingLabel(content: string): string | null {
  const m = LABEL.exec(content);
  if (!m || /[.!?]/.test(m[1]!) || m[1]!.trim().split(/\s+/).length > 4) return null;
  return m[1]!.trim();
}

/**
 * The texts to embed as a memory's sentence vectors: `[]` for a memory of fewer than two sentences
 * (its whole-text vector is its sentence vector).
 */
export function sentenceTexts(content: string): string[] {
  const label = leadingLabel(content);
  const body = label === null ? content : content.replace(LABEL, "");
  const pieces = body
    .split(BOUNDARY)
    .map((s) => s.trim())
    .filter((s) => /[\p{L}\p{N}]/u.test(s));
  if (pieces.length < 2) return [];
  let runs = pieces;
  if (pieces.length > MAX_SENTENCES) {
    runs = [];
    const per = pieces.length / MAX_SENTENCES;
    for (let i = 0; i < MAX_SENTENCES; i++)
      runs.push(pieces.slice(Math.round(i * per), Math.round((i + 1) * per)).join(" "));
  }
  return label === null ? runs : runs.map((s) => `${label}: ${s}`);
}

/** Embeds the sentences of several memories in one batch; `[]` for memories of one sentence. */
export async function embedSentences(
  embedder: Embedder,
  contents: readonly string[],
): Promise<Float32Array[][]> {
  const texts = contents.map(sentenceTexts);
  const flat = texts.flat();
  if (flat.length === 0) return texts.map(() => []);
  const vectors = await embedder.embed(flat);
  let i = 0;
  return texts.map((t) => t.map(() => vectors[i++]!));
}

/**
 * The candidates worth reading sentence vectors for: in hybrid search the vector side's own share
 * (the best `max(4·limit, 40)` by whole-text cosine) and the best `limit` keyword hits — on REALTALK
 * rescoring every candidate (~200 rows read per search) bought nothing more, and the best `2·limit`
 * by cosine lost 0.3 points; every candidate otherwise.
 */
export function sentenceCandidates(
  candidates: ReadonlySet<number>,
  vec: ReadonlyMap<number, number>,
  kw: ReadonlyMap<number, number>,
  limit: number,
  hybrid: boolean,
): number[] {
  if (!hybrid) return [...candidates];
  const best = (m: ReadonlyMap<number, number>, n: number) =>
    [...m]
      .filter(([seq]) => candidates.has(seq))
      .sort((a, b) => b[1] - a[1] || b[0] - a[0])
      .slice(0, n)
      .map(([seq]) => seq);
  return [...new Set([...best(vec, Math.max(4 * limit, 40)), ...best(kw, limit)])];
}

/**
 * Raises each candidate's cosine in `vec` to its best sentence's cosine when that is higher
 * (candidates stored without sentence vectors keep their whole-text cosine).
 */
export async function applySentenceSimilarities(
  rt: NamespaceRuntime,
  query: Float32Array,
  seqs: Iterable<number>,
  vec: Map<number, number>,
): Promise<void> {
  for (const [seq, vectors] of await rt.store.getSentenceEmbeddings([...seqs])) {
    let best = vec.get(seq) ?? Number.NEGATIVE_INFINITY;
    for (const v of vectors) best = Math.max(best, cosine(query, v));
    vec.set(seq, best);
  }
}
