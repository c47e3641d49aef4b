/**
 * Final answers: the `Final Answer:` split (private thoughts vs. shared answer) and JSON parsing with
 * zod validation for tasks with an `outputSchema`.
 *
 * @module
 */
import { type ZodType, z } from "zod";

/** Splits a model answer at its last `Final Answer:` marker (no marker: everything is the answer). */
export function splitFinalAnswer(text: string): { thoughts: string; answer: string } {
  const re = /final answer\s*:/gi;
  let last: RegExpExecArray | null = null;
  for (let m = re.exec(text); m; m = re.exec(text)) last = m;
  if (!last) return { thoughts: "", answer: text.trim() };
  return {
    thoughts: text.slice(0, last.index).trim(),
    answer: text.slice(last.index + last[0].length).trim(),
  };
}

/** Extracts JSON from an answer: a fenced block, or the text from the first `{`/`[` to the last `}`/`]`. */
export function extractJson(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  const body = fenced?.[1] ?? text;
  try {
    return JSON.parse(body.trim());
  } catch {
    const start = body.search(/[[{]/);
    const end = Math.max(body.lastIndexOf("}"), body.lastIndexOf("]"));
    if (start < 0 || end < start) throw new Error("the answer contains no JSON");
    return JSON.parse(body.slice(start, end + 1));
  }
}

/** Parses and validates an answer; returns the value or a readable error. */
export function parseStructured(
  text: string,
  schema: ZodType,
): { ok: true; value: unknown } | { ok: false; error: string } {
  let data: unknown;
  try {
    data = extractJson(text);
  } catch (err) {
    return { ok: false, error: `invalid JSON: ${(err as Error).message}` };
  }
  const r = schema.safeParse(data);
  return r.success ? { ok: true, value: r.data } : { ok: false, error: z.prettifyError(r.error) };
}

/** A JSON-schema description of `schema` for the prompt (empty when it cannot be converted). */
export function describeSchema(schema: ZodType): string {
  try {
    return JSON.stringify(z.toJSONSchema(schema));
  } catch {
    return "";
  }
}
