/**
 * Output of the benchmarks: Markdown tables on stdout, JSON results and hand-written SVG charts
 * (grouped bars) under `test/bench/results/`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The default results directory, `test/bench/results/`. */
export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), "results");

/** A Markdown table with padded columns. */
export function markdownTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((cell, c) => (cell ?? "").padEnd(widths[c]!)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

/** Formats a number with thousands separators and `digits` decimals. */
export function fmt(x: number, digits = 0): string {
  return x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Writes `<name>.json` (and each chart as `<name>-<chart>.svg`) to `dir`, returning the paths. */
export function writeResults(
  dir: string,
  name: string,
  json: unknown,
  charts: Record<string, string>,
): string[] {
  mkdirSync(dir, { recursive: true });
  const paths = [join(dir, `${name}.json`)];
  writeFileSync(paths[0]!, `${JSON.stringify(json, null, 2)}\n`);
  for (const [chart, svg] of Object.entries(charts)) {
    const p = join(dir, `${name}-${chart}.svg`);
    writeFileSync(p, `${svg}\n`);
    paths.push(p);
  }
  return paths;
}
