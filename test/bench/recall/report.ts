/**
 * Output of the recall harness: Markdown tables for the terminal and the README, and a grouped bar
 * chart (hand-written SVG) of recall@10 per configuration, overall and per category.
 *
 * @module
 */
import type { RecallRun } from "./run.js";

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

const f1 = (x: number | undefined) => (x === undefined ? "–" : x.toFixed(1));

/** Category names of a run, in a stable order. */
export function categoriesOf(run: RecallRun): string[] {
  return [...new Set(run.configs.flatMap((c) => Object.keys(c.categories)))].sort();
}

/** The main table: recall@k and hit@10 overall, recall@10 per category, latency. */
export function recallTable(run: RecallRun): string {
  const cats = categoriesOf(run);
  const mid = run.ks.includes(10) ? 10 : run.ks[Math.floor(run.ks.length / 2)]!;
  const header = [
    "search",
    ...run.ks.map((k) => `R@${k}`),
    `hit@${mid}`,
    ...cats.map((c) => `R@${mid} ${c}`),
    "p50 ms",
    "p99 ms",
  ];
  const rows = run.configs.map((c) => [
    c.name,
    ...run.ks.map((k) => f1(c.overall.recall[k])),
    f1(c.overall.hit[mid]),
    ...cats.map((cat) => f1(c.categories[cat]?.recall[mid])),
    c.searchMs.p50.toFixed(2),
    c.searchMs.p99.toFixed(2),
  ]);
  return table(header, rows);
}

/** hit@k per category. */
export function hitTable(run: RecallRun): string {
  const cats = categoriesOf(run);
  const mid = run.ks.includes(10) ? 10 : run.ks[Math.floor(run.ks.length / 2)]!;
  const header = ["search", ...run.ks.map((k) => `hit@${k}`), ...cats.map((c) => `hit@${mid} ${c}`)];
  const rows = run.configs.map((c) => [
    c.name,
    ...run.ks.map((k) => f1(c.overall.hit[k])),
    ...cats.map((cat) => f1(c.categories[cat]?.hit[mid])),
  ]);
  return table(header, rows);
}

/** One summary line: data, ingest, questions. */
export function summaryLine(run: RecallRun): string {
  const cats = categoriesOf(run)
    .map((c) => `${c} ${run.configs[0]?.categories[c]?.questions ?? 0}`)
    .join(", ");
  return (
    `${run.dataset} (${run.format}): ${run.conversations} conversations, ${run.turns} turns ingested in ` +
    `${(run.ingest.ms / 1000).toFixed(1)} s (${run.ingest.turnsPerSecond.toFixed(0)} turns/s, ` +
    `${run.ingest.embeddedTexts} texts embedded, the rest from the cache); embedder ${run.embedder}; ` +
    `${run.questions} questions scored (${cats}), ${run.skipped} without resolvable evidence left out. Recall in %.` +
    Object.entries(run.extraIngestMs ?? {})
      .map(([setting, ms]) => ` Ingest again with namespace options ${setting}: ${(ms / 1000).toFixed(1)} s.`)
      .join("")
  );
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"];

/** A grouped bar chart: one group per configuration, one bar per category (and overall), at `k`. */
export function recallChart(run: RecallRun, k = 10): string {
  const series = ["overall", ...categoriesOf(run)];
  const value = (ci: number, s: string) =>
    (s === "overall" ? run.configs[ci]!.overall : run.configs[ci]!.categories[s])?.recall[k] ?? 0;
  const bar = 12;
  const gap = 18;
  const groupW = series.length * bar + gap;
  const left = 48;
  const top = 40;
  const plotH = 260;
  const labelH = 150;
  const width = left + run.configs.length * groupW + 20;
  const height = top + plotH + labelH + 30;
  const y = (v: number) => top + plotH - (v / 100) * plotH;
  const title = `Evidence recall@${k} (%) on ${run.dataset}: ${run.questions} questions, embedder ${run.embedder}`;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11" role="img" aria-labelledby="title">`,
    `<title id="title">${esc(title)}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${left}" y="18" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  for (let v = 0; v <= 100; v += 20) {
    out.push(
      `<line x1="${left}" x2="${width - 10}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v}</text>`,
    );
  }
  run.configs.forEach((c, ci) => {
    const x0 = left + ci * groupW + gap / 2;
    series.forEach((s, si) => {
      const v = value(ci, s);
      out.push(
        `<rect x="${x0 + si * bar}" y="${y(v).toFixed(1)}" width="${bar - 1}" height="${(top + plotH - y(v)).toFixed(1)}" fill="${PALETTE[si % PALETTE.length]}"><title>${esc(`${c.name} — ${s}: ${v.toFixed(1)}`)}</title></rect>`,
      );
    });
    const cx = x0 + (series.length * bar) / 2;
    out.push(
      `<text x="${cx}" y="${top + plotH + 12}" text-anchor="end" transform="rotate(-40 ${cx} ${top + plotH + 12})">${esc(c.name)}</text>`,
    );
  });
  series.forEach((s, si) => {
    const lx = left + si * 120;
    const ly = height - 14;
    out.push(
      `<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${PALETTE[si % PALETTE.length]}"/>`,
      `<text x="${lx + 14}" y="${ly}">${esc(s)}</text>`,
    );
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
