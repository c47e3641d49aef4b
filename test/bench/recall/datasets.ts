/**
 * Long-conversation memory data sets, loaded into one shape: conversations of timestamped turns
 * grouped in sessions, and questions with the ids of the turns that hold their evidence.
 *
 * Formats:
 * - **LoCoMo** (snap-research/locomo `locomo10.json`): a JSON array (or one object) of samples
 *   `{ sample_id, conversation: { speaker_a, speaker_b, session_<n>: [{ speaker, dia_id, text, blip_caption? }],
 *   session_<n>_date_time: "1:56 pm on 8 May, 2023" }, qa: [{ question, answer, evidence, category }] }`.
 *   Turns have no time of their own: turn k of a session is stamped at the session time + k minutes.
 * - **REALTALK** (danny911kr/REALTALK `data/*.json`): one object per chat `{ name, session_<n>: [{ clean_text,
 *   speaker, date_time: "DD.MM.YYYY, HH:MM:SS", dia_id }], qa }`; a directory holds one file per chat.
 *
 * Evidence strings are normalised by {@link parseEvidence}; ids that name no turn are dropped, and a
 * question left without evidence is counted in `skipped` rather than scored.
 *
 * @module
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";

/** One turn of a conversation. */
export interface Turn {
  /** The data set's turn id (`D<session>:<k>`), unique within the conversation. */
  id: string;
  speaker: string;
  text: string;
  /** Epoch milliseconds. */
  time: number;
  /** Session key (`session_<n>`). */
  session: string;
}

/** A question with its evidence. */
export interface Question {
  question: string;
  /** Turn ids holding the evidence (resolved, non-empty). */
  evidence: string[];
  category: string;
}

/** One conversation with its questions. */
export interface Conversation {
  id: string;
  turns: Turn[];
  questions: Question[];
  /** Questions left out because none of their evidence ids names a turn. */
  skipped: number;
}

/** A loaded data set. */
export interface Dataset {
  name: string;
  format: "locomo" | "realtalk";
  conversations: Conversation[];
}

/** Category labels per format (unknown categories keep their raw value). */
const CATEGORY_NAMES: Record<Dataset["format"], Record<string, string>> = {
  realtalk: { "1": "multi-hop", "2": "temporal", "3": "inference" },
  locomo: { "1": "multi-hop", "2": "temporal", "3": "open-domain", "4": "single-hop", "5": "adversarial" },
};

/** An error in a data file (bad JSON or no recognisable format). */
export class DatasetError extends Error {
  override name = "DatasetError";
}

/**
 * Evidence ids from a raw evidence field: ranges within one day (`D12:3-D12:5`, `D12:3-5`) are
 * expanded, groups split on any separator, odd forms (`D13:45:D20:19`) split into their `D<d>:<k>`
 * parts, a stray space after `D` (`D 2:18`) ignored; only ids in `known` are kept, in first-seen order.
 */
export function parseEvidence(raw: unknown, known: ReadonlySet<string>): string[] {
  const text = Array.isArray(raw) ? raw.map(String).join(";") : String(raw ?? "");
  const out = new Set<string>();
  for (const m of text.matchAll(/D\s*(\d+):(\d+)(?:\s*-\s*(?:D\s*(\d+):)?(\d+))?/g)) {
    const day = m[1]!;
    const from = Number(m[2]);
    const to = m[4] !== undefined && (m[3] === undefined || m[3] === day) ? Number(m[4]) : from;
    for (let k = from; k <= Math.min(to, from + 200); k++) out.add(`D${day}:${k}`);
  }
  return [...out].filter((id) => known.has(id));
}

const MONTHS = "january february march april may june july august september october november december".split(
  " ",
);

/** Parses LoCoMo session times (`"1:56 pm on 8 May, 2023"`, also `"8 May 2023"`); `null` if unreadable. */
export function parseLocomoTime(s: string): number | null {
  const m = /^\s*(?:(\d{1,2}):(\d{2})\s*(am|pm)?\s*on\s+)?(\d{1,2})\s+([A-Za-z]+),?\s+(\d{4})\s*$/i.exec(s);
  if (!m) return null;
  const month = MONTHS.findIndex((name) => name.startsWith(m[5]!.toLowerCase().slice(0, 3)));
  if (month < 0) return null;
  let hour = m[1] === undefined ? 12 : Number(m[1]) % 12;
  if (m[3]?.toLowerCase() === "pm") hour += 12;
  if (m[1] !== undefined && m[3] === undefined) hour = Number(m[1]);
  return Date.UTC(Number(m[6]), month, Number(m[4]), hour, Number(m[2] ?? 0));
}

/** Parses REALTALK times (`"29.12.2023, 22:42:04"`); `null` if unreadable. */
export function parseRealtalkTime(s: string): number | null {
  const m = /^(\d{2})\.(\d{2})\.(\d{4}),\s*(\d{2}):(\d{2}):(\d{2})$/.exec(String(s).trim());
  return m ? Date.UTC(+m[3]!, +m[2]! - 1, +m[1]!, +m[4]!, +m[5]!, +m[6]!) : null;
}

function sessionKeys(obj: Record<string, unknown>): string[] {
  return Object.keys(obj)
    .filter((k) => /^session_\d+$/.test(k) && Array.isArray(obj[k]))
    .sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)));
}

function questionsOf(
  qa: unknown,
  turns: Turn[],
  format: Dataset["format"],
): Pick<Conversation, "questions" | "skipped"> {
  const known = new Set(turns.map((t) => t.id));
  const questions: Question[] = [];
  let skipped = 0;
  for (const q of Array.isArray(qa) ? (qa as Record<string, unknown>[]) : []) {
    if (typeof q?.question !== "string" || q.question.trim() === "") continue;
    const evidence = parseEvidence(q.evidence, known);
    if (evidence.length === 0) {
      skipped++;
      continue;
    }
    const raw = String(q.category ?? "none");
    questions.push({ question: q.question, evidence, category: CATEGORY_NAMES[format][raw] ?? raw });
  }
  return { questions, skipped };
}

/** Keeps the first turn of each id and drops empty texts. */
function uniqueTurns(turns: Turn[]): Turn[] {
  const seen = new Set<string>();
  return turns.filter((t) => t.text.trim() !== "" && !seen.has(t.id) && seen.add(t.id) !== undefined);
}

function loadLocomoSample(sample: Record<string, unknown>, index: number): Conversation {
  const conv = sample.conversation as Record<string, unknown> | undefined;
  if (!conv || typeof conv !== "object") throw new DatasetError(`sample ${index}: no "conversation" object`);
  const turns: Turn[] = [];
  let fallback = Date.UTC(2023, 0, 1);
  for (const key of sessionKeys(conv)) {
    const start = parseLocomoTime(String(conv[`${key}_date_time`] ?? "")) ?? fallback;
    (conv[key] as Record<string, unknown>[]).forEach((t, k) => {
      const caption =
        typeof t.blip_caption === "string" && t.blip_caption ? ` [image: ${t.blip_caption}]` : "";
      turns.push({
        id: String(t.dia_id ?? `${key}:${k}`),
        speaker: String(t.speaker ?? ""),
        text: `${String(t.text ?? "")}${caption}`,
        time: start + k * 60_000,
        session: key,
      });
    });
    fallback = start + 86_400_000;
  }
  const unique = uniqueTurns(turns);
  return {
    id: String(sample.sample_id ?? `sample-${index + 1}`),
    turns: unique,
    ...questionsOf(sample.qa, unique, "locomo"),
  };
}

function loadRealtalkChat(chat: Record<string, unknown>, id: string): Conversation {
  const turns: Turn[] = [];
  for (const key of sessionKeys(chat)) {
    const sessionTime = parseRealtalkTime(String(chat[`${key}_date_time`] ?? ""));
    for (const t of chat[key] as Record<string, unknown>[]) {
      const time = parseRealtalkTime(String(t.date_time ?? "")) ?? sessionTime ?? Date.UTC(2024, 0, 1);
      turns.push({
        id: String(t.dia_id ?? ""),
        speaker: String(t.speaker ?? ""),
        text: String(t.clean_text ?? t.text ?? ""),
        time,
        session: key,
      });
    }
  }
  const unique = uniqueTurns(turns.filter((t) => t.id !== ""));
  return { id, turns: unique, ...questionsOf(chat.qa, unique, "realtalk") };
}

/** Detects the format of one parsed JSON value. */
function formatOf(json: unknown): Dataset["format"] {
  const first = Array.isArray(json) ? json[0] : json;
  if (first && typeof first === "object") {
    if ("conversation" in first) return "locomo";
    if (sessionKeys(first as Record<string, unknown>).length > 0) return "realtalk";
  }
  throw new DatasetError(
    "not LoCoMo (samples with a conversation) nor REALTALK (an object with session_<n> turns)",
  );
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new DatasetError(`${file}: ${(err as Error).message}`);
  }
}

/**
 * Loads a data set from a file (LoCoMo array or one REALTALK chat) or a directory of `.json` files
 * (all of one format). `limit` keeps only the first conversations.
 */
export function loadDataset(path: string, opts: { limit?: number } = {}): Dataset {
  const files = statSync(path).isDirectory()
    ? readdirSync(path)
        .filter((f) => f.endsWith(".json"))
        .sort((a, b) => a.localeCompare(b, "en", { numeric: true }))
        .map((f) => join(path, f))
    : [path];
  if (files.length === 0) throw new DatasetError(`${path}: no .json files`);
  const conversations: Conversation[] = [];
  let format: Dataset["format"] | null = null;
  for (const file of files) {
    const json = readJson(file);
    const f = formatOf(json);
    if (format !== null && f !== format) throw new DatasetError(`${file}: ${f} mixed with ${format} files`);
    format = f;
    if (f === "locomo") {
      const samples = (Array.isArray(json) ? json : [json]) as Record<string, unknown>[];
      samples.forEach((s, i) => {
        conversations.push(loadLocomoSample(s, i));
      });
    } else conversations.push(loadRealtalkChat(json as Record<string, unknown>, basename(file, ".json")));
  }
  return {
    name: basename(path),
    format: format!,
    conversations: opts.limit === undefined ? conversations : conversations.slice(0, opts.limit),
  };
}
