/**
 * The keyword tokenizer shared by indexing and querying: Unicode NFKC folding and lower-casing,
 * splitting on anything that is not a letter or a digit (so `INV-2291` → `inv`, `2291`; `cust_42` →
 * `cust`, `42`), dropping English stop words, and Porter-stemming plain ASCII words (`hobbies` →
 * `hobbi`, `visited` → `visit`). Tokens with a digit or a non-ASCII letter are kept as they are, so
 * identifiers, numbers and non-English words are never stemmed.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { porterStem } from "./porter-stemmer.js";

/**
 * Bump whenever {@link tokenize} (or the stemmer) changes what terms a text yields: keyword
 * snapshots built by another tokenizer are then rebuilt instead of loaded ({@link tokenizerSignature}).
 */
const TOKENIZER_VERSION = 1;

/**
 * English stop words: function words, auxiliaries, question words and the fragments contractions
 * leave after splitting (`I'm` → `i`, `m`). Negations and direction words that carry meaning in
 * agent memory (`down`, `up`, `off`, `out`, `against`) are not in it.
 */
export const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set(
  (
    "a about above after again all am an and any are as at be because been before being below between both but by " +
    "can could d did do does doing done during each else ever few for from further had has have having he her here " +
    "hers herself him himself his how i if in into is it its itself just ll m ma me might more most must my myself " +
    "nor now o of on once only or other ought our ours ourselves over own re s same shall she should so some such t " +
    "than that the their theirs them themselves then there these they this those through to too under until ve very " +
    "was we were what when where which while who whom whose why will with would y you your yours yourself yourselves " +
    "also yet shan"
  ).split(" "),
);

/** Options of {@link tokenize}. */
export interface TokenizerOptions {
  /** Porter-stem plain ASCII words. @default true */
  stem?: boolean;
  /** Words dropped before stemming. @default ENGLISH_STOP_WORDS */
  stopWords?: ReadonlySet<string>;
}

const SPLIT = /[^\p{L}\p{N}]+/u;
const ASCII_WORD = /^[a-z]+$/;
const MAX_TOKEN_LENGTH = 64;
const STEM_CACHE_MAX = 50_000;
const stemCache = new Map<string, string>();

function stem(word: string): string {
  let s = stemCache.get(word);
  if (s === undefined) {
    s = porterStem(word);
    if (stemCache.size >= STEM_CACHE_MAX) stemCache.clear();
    stemCache.set(word, s);
  }
  return s;
}

/** Splits text into index terms, in order (duplicates kept). */
export function tokenize(text: string, opts: TokenizerOptions = {}): string[] {
  const stopWords = opts.stopWords ?? ENGLISH_STOP_WORDS;
  const stemming = opts.stem ?? true;
  const out: string[] = [];
  for (const raw of text.normalize("NFKC").toLowerCase().split(SPLIT)) {
    if (raw.length === 0 || raw.length > MAX_TOKEN_LENGTH || stopWords.has(raw)) continue;
    out.push(stemming && ASCII_WORD.test(raw) ? stem(raw) : raw);
  }
  return out;
}

/**
 * A fingerprint of what {@link tokenize} does with `opts` (the tokenizer version, stemming, the stop
 * words): a keyword index built under another signature has other terms and must be rebuilt.
 */
export function tokenizerSignature(opts: TokenizerOptions = {}): string {
  const stopWords = [...(opts.stopWords ?? ENGLISH_STOP_WORDS)].sort().join(" ");
  const spec = `v${TOKENIZER_VERSION} stem=${opts.stem ?? true} stop=${stopWords}`;
  return createHash("sha256").update(spec).digest("hex").slice(0, 16);
}
