/**
 * Time expressions in search queries ("on 29 Dec 2023", "in May", "last week", "yesterday",
 * "2 days ago", "before January 4th, 2024"), resolved against a reference time into UTC time
 * ranges, so search can favour memories created then ({@link timeScore}).
 *
 * Recognised (case-insensitive; English):
 * - dates: `2023-12-29`, `29 Dec 2023`, `29th of December, 2023`, `December 29(th)(, 2023)`, `Dec 29`;
 *   a date without a year is the occurrence nearest the reference time
 * - months: `May 2023`, `January 2024`, `in|during|since|until|before|after|by|of|early|mid|late May`,
 *   and bare full month names other than `may` and `march`
 * - years: `in|during|since|until|before|after|of 2023`
 * - relative: `today`, `tonight`, `this morning|afternoon|evening`, `yesterday`, `last night`,
 *   `tomorrow`, `N days|weeks|months|years ago` (N a number or `a`, `one`…`twelve`, `a few`,
 *   `a couple of`, `several`), `last|this|next week|month|year`, `last weekend`, `past|last N days|weeks`,
 *   `last|this past|on <weekday>`
 * - `before X` ends the range at X's start, `after X` / `since X` starts it at X's end.
 *
 * Weeks start on Monday. Everything is computed in UTC.
 *
 * @module
 */

/** A time range `[start, end)` in epoch milliseconds, with the text it came from. */
export interface TimeRange {
  start: number;
  end: number;
  text: string;
}

/** The result of {@link parseTimeExpressions}. */
export interface ParsedTimeQuery {
  ranges: TimeRange[];
  /** The query with the recognised expressions removed. */
  rest: string;
}

const DAY = 86_400_000;
/** The earliest and latest instants a `Date` can hold (open range ends). */
const MIN_TIME = -8.64e15;
const MAX_TIME = 8.64e15;

const MONTHS = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
];
const MONTH =
  "(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\\.?";
const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const NUMBER_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  "a few": 3,
  few: 3,
  "a couple of": 2,
  "a couple": 2,
  several: 3,
};
const COUNT =
  "(\\d{1,3}|a few|a couple(?: of)?|several|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)";

const monthIndex = (name: string) => MONTHS.findIndex((m) => m.startsWith(name.toLowerCase().slice(0, 3)));
const startOfDay = (t: number) => Math.floor(t / DAY) * DAY;
/** Monday 00:00 UTC of the week holding `t`. */
const startOfWeek = (t: number) => startOfDay(t) - ((new Date(t).getUTCDay() + 6) % 7) * DAY;
const dayRange = (y: number, m: number, d: number): [number, number] => {
  const s = Date.UTC(y, m, d);
  return [s, s + DAY];
};
const monthRange = (y: number, m: number): [number, number] => [Date.UTC(y, m, 1), Date.UTC(y, m + 1, 1)];

/** The year (ref year − 1, + 0 or + 1) putting a range starting at `at(year)` nearest `ref`. */
function nearestYear(ref: number, at: (year: number) => [number, number]): [number, number] {
  const y = new Date(ref).getUTCFullYear();
  let best = at(y);
  for (const cand of [at(y - 1), at(y + 1)]) {
    const dist = (r: [number, number]) => (ref < r[0] ? r[0] - ref : ref >= r[1] ? ref - r[1] : 0);
    if (dist(cand) < dist(best)) best = cand;
  }
  return best;
}

type Rule = { re: RegExp; range: (m: RegExpExecArray, ref: number) => [number, number] | null };

const validDay = (y: number, m: number, d: number) =>
  m >= 0 && d >= 1 && d <= 31 && new Date(Date.UTC(y, m, d)).getUTCMonth() === m;

function date(
  yearText: string | undefined,
  month: number,
  day: number,
  ref: number,
): [number, number] | null {
  if (month < 0) return null;
  if (yearText !== undefined) return validDay(+yearText, month, day) ? dayRange(+yearText, month, day) : null;
  if (!validDay(2024, month, day)) return null;
  return nearestYear(ref, (y) => dayRange(y, month, day));
}

const count = (s: string) => NUMBER_WORDS[s.toLowerCase()] ?? Number(s);

/** Rules, most specific first; each match is removed before the next rule runs. */
const RULES: Rule[] = [
  {
    re: /\b(\d{4})-(\d{2})-(\d{2})\b/gi,
    range: (m) => (validDay(+m[1]!, +m[2]! - 1, +m[3]!) ? dayRange(+m[1]!, +m[2]! - 1, +m[3]!) : null),
  },
  {
    re: new RegExp(
      `\\b(?:the\\s+)?(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?${MONTH}(?:,?\\s+(\\d{4}))?\\b`,
      "gi",
    ),
    range: (m, ref) => date(m[3], monthIndex(m[2]!), +m[1]!, ref),
  },
  {
    re: new RegExp(`\\b${MONTH}\\s+(\\d{1,2})(?:st|nd|rd|th)?(?:,?\\s+(\\d{4}))?\\b(?!:)`, "gi"),
    range: (m, ref) => date(m[3], monthIndex(m[1]!), +m[2]!, ref),
  },
  {
    re: new RegExp(`\\b${MONTH},?\\s+(\\d{4})\\b`, "gi"),
    range: (m) => monthRange(+m[2]!, monthIndex(m[1]!)),
  },
  {
    re: new RegExp(
      `\\b(?:in|during|since|until|before|after|by|of|early|mid|late)\\s+(?:the\\s+month\\s+of\\s+)?${MONTH}\\b`,
      "gi",
    ),
    range: (m, ref) => {
      const month = monthIndex(m[1]!);
      return nearestYear(ref, (y) => monthRange(y, month));
    },
  },
  {
    re: /\b(january|february|april|june|july|august|september|october|november|december)\b/gi,
    range: (m, ref) => {
      const month = monthIndex(m[1]!);
      return nearestYear(ref, (y) => monthRange(y, month));
    },
  },
  {
    re: /\b(?:in|during|since|until|before|after|of)\s+((?:19|20)\d{2})\b/gi,
    range: (m) => [Date.UTC(+m[1]!, 0, 1), Date.UTC(+m[1]! + 1, 0, 1)],
  },
  {
    re: /\b(today|tonight|this\s+(?:morning|afternoon|evening))\b/gi,
    range: (_m, ref) => [startOfDay(ref), startOfDay(ref) + DAY],
  },
  {
    re: /\b(yesterday|last\s+night)\b/gi,
    range: (_m, ref) => [startOfDay(ref) - DAY, startOfDay(ref)],
  },
  { re: /\btomorrow\b/gi, range: (_m, ref) => [startOfDay(ref) + DAY, startOfDay(ref) + 2 * DAY] },
  {
    re: new RegExp(`\\b${COUNT}\\s+(day|week|month|year)s?\\s+ago\\b`, "gi"),
    range: (m, ref) => {
      const n = count(m[1]!);
      const unit = m[2]!.toLowerCase();
      if (unit === "day") return [startOfDay(ref) - n * DAY, startOfDay(ref) - (n - 1) * DAY];
      const span = unit === "week" ? 7 * DAY : unit === "month" ? 30 * DAY : 365 * DAY;
      const at = ref - n * span;
      return [at - span / 2, at + span / 2];
    },
  },
  {
    re: new RegExp(`\\b(?:the\\s+)?(?:past|last|previous)\\s+${COUNT}\\s+(day|week|month|year)s?\\b`, "gi"),
    range: (m, ref) => {
      const unit = m[2]!.toLowerCase();
      const span = unit === "day" ? DAY : unit === "week" ? 7 * DAY : unit === "month" ? 30 * DAY : 365 * DAY;
      return [ref - count(m[1]!) * span, ref];
    },
  },
  {
    re: /\b(last|this|next|past|previous)\s+(week|weekend|month|year)\b/gi,
    range: (m, ref) => {
      const which = m[1]!.toLowerCase();
      const shift = which === "this" ? 0 : which === "next" ? 1 : -1;
      const unit = m[2]!.toLowerCase();
      if (unit === "week")
        return [startOfWeek(ref) + shift * 7 * DAY, startOfWeek(ref) + (shift + 1) * 7 * DAY];
      if (unit === "weekend") {
        const sat = startOfWeek(ref) + shift * 7 * DAY + 5 * DAY;
        return [sat, sat + 2 * DAY];
      }
      const d = new Date(ref);
      if (unit === "month") return monthRange(d.getUTCFullYear(), d.getUTCMonth() + shift);
      const y = d.getUTCFullYear() + shift;
      return [Date.UTC(y, 0, 1), Date.UTC(y + 1, 0, 1)];
    },
  },
  {
    re: new RegExp(`\\b(?:last|this\\s+past|on)\\s+(${WEEKDAYS.join("|")})\\b`, "gi"),
    range: (m, ref) => {
      const want = WEEKDAYS.indexOf(m[1]!.toLowerCase());
      const today = (new Date(ref).getUTCDay() + 6) % 7;
      const back = (today - want + 7) % 7 || 7;
      const s = startOfDay(ref) - back * DAY;
      return [s, s + DAY];
    },
  },
];

const BEFORE = /\b(before|until|till|prior\s+to|by)\s*$/i;
const AFTER = /\b(after|since)\s*$/i;

/** Finds the time expressions of a query, resolved against `referenceTime` (epoch ms). */
export function parseTimeExpressions(query: string, referenceTime: number): ParsedTimeQuery {
  let text = query;
  const found: (TimeRange & { index: number })[] = [];
  for (const rule of RULES) {
    rule.re.lastIndex = 0;
    const matches = [...text.matchAll(rule.re)];
    for (const m of matches.reverse()) {
      const r = rule.range(m as RegExpExecArray, referenceTime);
      if (!r || !(r[0] < r[1])) continue;
      found.push({ start: r[0], end: r[1], text: m[0], index: m.index });
      text = `${text.slice(0, m.index)}${" ".repeat(m[0].length)}${text.slice(m.index + m[0].length)}`;
    }
  }
  const ranges = found
    .sort((a, b) => a.index - b.index)
    .map(({ start, end, text: t, index }) => {
      const before = query.slice(0, index);
      if (BEFORE.test(before)) return { start: MIN_TIME, end: start, text: t };
      if (AFTER.test(before)) return { start: end, end: MAX_TIME, text: t };
      return { start, end, text: t };
    });
  return { ranges, rest: text.replace(/\s+/g, " ").trim() };
}

/**
 * How well a creation time matches the ranges: 1 inside one, else `2^(−distance / h)` to the
 * nearest, with h = max(1 day, a quarter of that range's length); the best over the ranges.
 */
export function timeScore(at: number, ranges: readonly TimeRange[]): number {
  let best = 0;
  for (const r of ranges) {
    if (at >= r.start && at < r.end) return 1;
    const length = r.end - r.start;
    const h = Math.max(DAY, Number.isFinite(length) && length < MAX_TIME ? length / 4 : DAY);
    const distance = at < r.start ? r.start - at : at - r.end;
    best = Math.max(best, 2 ** (-distance / h));
  }
  return best;
}
