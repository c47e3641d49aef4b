/**
 * Small helpers shared by the engine examples (`examples/*.ts`): waiting for asynchronous event
 * delivery and formatting narration.
 *
 * @module
 */

/**
 * Resolves once `condition()` is true, checking every few milliseconds; rejects after `timeoutMs`.
 * Event handlers run asynchronously after the write that produced them is durable, so an example
 * that counts delivered events waits for them with this instead of sleeping a fixed time.
 */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Cuts `text` to at most `max` characters, ending with "…" when cut. */
export function short(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A number with a fixed count of decimals (3 by default), for scores and retention. */
export function num(value: number, digits = 3): string {
  return value.toFixed(digits);
}

/** `2026-03-01T09:00:00.000Z` → `Mar 1 09:00` (UTC), for timelines driven by a `ManualClock`. */
export function clockTime(iso: string | number): string {
  const d = new Date(iso);
  const month = d.toLocaleString("en-US", { month: "short", timeZone: "UTC" });
  const hh = String(d.getUTCHours()).padStart(2, "0");
  const mm = String(d.getUTCMinutes()).padStart(2, "0");
  return `${month} ${d.getUTCDate()} ${hh}:${mm}`;
}
