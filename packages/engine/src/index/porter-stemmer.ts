/**
 * The Porter stemming algorithm (M. F. Porter, "An algorithm for suffix stripping", 1980), for
 * lower-case ASCII English words: `"running"` → `"run"`, `"hobbies"` → `"hobbi"`, `"visited"` →
 * `"visit"`. Words shorter than 3 letters are returned unchanged. Callers pass only words made of
 * the letters a–z (identifiers and numbers are never stemmed).
 *
 * @module
 */

function isConsonant(w: string, i: number): boolean {
  const c = w[i]!;
  if (c === "a" || c === "e" || c === "i" || c === "o" || c === "u") return false;
  if (c === "y") return i === 0 || !isConsonant(w, i - 1);
  return true;
}

/** m: the number of vowel–consonant sequences in `w[0, end)`. */
function measure(w: string, end: number): number {
  let n = 0;
  let i = 0;
  while (i < end && isConsonant(w, i)) i++;
  while (i < end) {
    while (i < end && !isConsonant(w, i)) i++;
    if (i >= end) break;
    while (i < end && isConsonant(w, i)) i++;
    n++;
  }
  return n;
}

function hasVowel(w: string, end: number): boolean {
  for (let i = 0; i < end; i++) if (!isConsonant(w, i)) return true;
  return false;
}

function endsDoubleConsonant(w: string): boolean {
  const n = w.length;
  return n >= 2 && w[n - 1] === w[n - 2] && isConsonant(w, n - 1);
}

/** *o: the stem ends consonant–vowel–consonant, the last not w, x or y. */
function endsCvc(w: string, end = w.length): boolean {
  if (end < 3) return false;
  const c = w[end - 1]!;
  return (
    isConsonant(w, end - 3) &&
    !isConsonant(w, end - 2) &&
    isConsonant(w, end - 1) &&
    c !== "w" &&
    c !== "x" &&
    c !== "y"
  );
}

/** Replaces `suffix` by `replacement` when the stem before it has measure > `minMeasure`. */
function replaceIf(w: string, rules: readonly [string, string][], minMeasure: number): string | null {
  for (const [suffix, replacement] of rules) {
    if (w.endsWith(suffix)) {
      const stem = w.length - suffix.length;
      return measure(w, stem) > minMeasure ? w.slice(0, stem) + replacement : w;
    }
  }
  return null;
}

const STEP2: [string, string][] = [
  ["ational", "ate"],
  ["tional", "tion"],
  ["enci", "ence"],
  ["anci", "ance"],
  ["izer", "ize"],
  ["bli", "ble"],
  ["alli", "al"],
  ["entli", "ent"],
  ["eli", "e"],
  ["ousli", "ous"],
  ["ization", "ize"],
  ["ation", "ate"],
  ["ator", "ate"],
  ["alism", "al"],
  ["iveness", "ive"],
  ["fulness", "ful"],
  ["ousness", "ous"],
  ["aliti", "al"],
  ["iviti", "ive"],
  ["biliti", "ble"],
  ["logi", "log"],
];
const STEP3: [string, string][] = [
  ["icate", "ic"],
  ["ative", ""],
  ["alize", "al"],
  ["iciti", "ic"],
  ["ical", "ic"],
  ["ful", ""],
  ["ness", ""],
];
const STEP4 = [
  "al",
  "ance",
  "ence",
  "er",
  "ic",
  "able",
  "ible",
  "ant",
  "ement",
  "ment",
  "ent",
  "ion",
  "ou",
  "ism",
  "ate",
  "iti",
  "ous",
  "ive",
  "ize",
];

function step1ab(w: string): string {
  if (w.endsWith("sses")) w = w.slice(0, -2);
  else if (w.endsWith("ies")) w = w.slice(0, -2);
  else if (w.endsWith("ss")) {
    /* unchanged */
  } else if (w.endsWith("s")) w = w.slice(0, -1);

  if (w.endsWith("eed")) {
    if (measure(w, w.length - 3) > 0) w = w.slice(0, -1);
    return w;
  }
  let cut = 0;
  if (w.endsWith("ed") && hasVowel(w, w.length - 2)) cut = 2;
  else if (w.endsWith("ing") && hasVowel(w, w.length - 3)) cut = 3;
  if (cut === 0) return w;
  w = w.slice(0, -cut);
  if (w.endsWith("at") || w.endsWith("bl") || w.endsWith("iz")) return `${w}e`;
  if (endsDoubleConsonant(w) && !/[lsz]$/.test(w)) return w.slice(0, -1);
  if (measure(w, w.length) === 1 && endsCvc(w)) return `${w}e`;
  return w;
}

/** Stems one lower-case a–z word. */
export function porterStem(word: string): string {
  if (word.length < 3) return word;
  let w = step1ab(word);
  // Step 1c: y → i when the stem has a vowel.
  if (w.endsWith("y") && hasVowel(w, w.length - 1)) w = `${w.slice(0, -1)}i`;
  w = replaceIf(w, STEP2, 0) ?? w;
  w = replaceIf(w, STEP3, 0) ?? w;
  // Step 4: drop a suffix when the stem has m > 1 (-ion only after s or t).
  for (const suffix of STEP4) {
    if (!w.endsWith(suffix)) continue;
    const stem = w.length - suffix.length;
    if (
      measure(w, stem) > 1 &&
      (suffix !== "ion" || (stem > 0 && (w[stem - 1] === "s" || w[stem - 1] === "t")))
    )
      w = w.slice(0, stem);
    break;
  }
  // Step 5a: drop a final e when m > 1, or m = 1 and not *o.
  if (w.endsWith("e")) {
    const m = measure(w, w.length - 1);
    if (m > 1 || (m === 1 && !endsCvc(w, w.length - 1))) w = w.slice(0, -1);
  }
  // Step 5b: -ll → -l when m > 1.
  if (w.endsWith("ll") && measure(w, w.length) > 1) w = w.slice(0, -1);
  return w;
}
