/**
 * The keyword tokenizer shared by indexing and querying: Unicode-aware lower-casing, splitting on
 * anything that is not a letter or a digit, and dropping a short list of English stop words.
 *
 * @module
 */

const STOP_WORDS = new Set(
  (
    "a an and are as at be but by for from has have he her his i if in into is it its me my no not of on or our " +
    "she so that the their them then there these they this to was we were what when which who will with you your"
  ).split(" "),
);

const SPLIT = /[^\p{L}\p{N}]+/u;
const MAX_TOKEN_LENGTH = 64;

/** Splits text into index terms, in order (duplicates kept). */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.normalize("NFKC").toLowerCase().split(SPLIT)) {
    if (raw.length === 0 || raw.length > MAX_TOKEN_LENGTH || STOP_WORDS.has(raw)) continue;
    out.push(raw);
  }
  return out;
}
