/** Shared CLI helpers: option parsing, the client from flags/env, output. */
import { parseArgs } from "node:util";
import { LociClient } from "@loci/client";

/** Parsed options of one command. */
export type Flags = Record<string, string | boolean | string[] | undefined>;

/** Parses argv for a command with the given string/boolean options (plus --url and --key). */
export function parse(
  argv: string[],
  options: Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }>,
): { values: Flags; positionals: string[] } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: "string" },
      key: { type: "string" },
      help: { type: "boolean", short: "h" },
      ...options,
    },
  });
  return { values: values as Flags, positionals };
}

/** A client from --url/--key or LOCI_URL/LOCI_API_KEY. */
export function clientFrom(flags: Flags): LociClient {
  const baseUrl =
    (flags.url as string | undefined) ??
    process.env.LOCI_URL ??
    `http://127.0.0.1:${process.env.LOCI_PORT ?? 3300}`;
  const apiKey = (flags.key as string | undefined) ?? process.env.LOCI_API_KEY ?? process.env.LOCI_ROOT_KEY;
  return new LociClient({ baseUrl, ...(apiKey ? { apiKey } : {}) });
}

/** A usage error. */
export class UsageError extends Error {}

/** The n-th positional argument, or a usage error naming it. */
export function positional(list: string[], index: number, name: string): string {
  const v = list[index];
  if (v === undefined) throw new UsageError(`missing <${name}>`);
  return v;
}

/** A progress line on stderr (redrawn in place on a terminal). */
export function progress(label: string, done: number, total: number): void {
  const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
  const width = 30;
  const bar = "#".repeat(Math.round((pct / 100) * width)).padEnd(width, ".");
  const line = `${label} [${bar}] ${pct}% ${done}/${total}`;
  if (process.stderr.isTTY) process.stderr.write(`\r${line}${done >= total ? "\n" : ""}`);
  else if (done >= total || done % 1000 === 0) process.stderr.write(`${line}\n`);
}
