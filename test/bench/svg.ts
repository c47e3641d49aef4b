/** Dependency-free SVG charts for benchmark results: horizontal bars, grouped bars. */
import { fmt } from "./report.js";

/** Options of {@link barChart}. */
export interface BarChartOptions {
  title: string;
  bars: { label: string; value: number }[];
  /** Formats a value next to its bar. @default two decimals */
  format?: (v: number) => string;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Renders a horizontal bar chart (one bar per row, longest value = full width). */
export function barChart(o: BarChartOptions): string {
  const fmt = o.format ?? ((v: number) => v.toFixed(2));
  const labelWidth = Math.min(520, 7 * Math.max(10, ...o.bars.map((b) => b.label.length)));
  const barArea = 360;
  const rowH = 22;
  const width = labelWidth + barArea + 90;
  const height = 40 + o.bars.length * rowH + 10;
  const max = Math.max(1e-9, ...o.bars.map((b) => b.value));
  const rows = o.bars.map((b, i) => {
    const y = 40 + i * rowH;
    const w = Math.max(1, (b.value / max) * barArea);
    return [
      `<text x="${labelWidth - 6}" y="${y + 15}" text-anchor="end">${esc(b.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="#4f7cac"/>`,
      `<text x="${labelWidth + w + 6}" y="${y + 15}">${esc(fmt(b.value))}</text>`,
    ].join("");
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">
<title>${esc(o.title)}</title>
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="22" font-size="15" font-weight="bold">${esc(o.title)}</text>
${rows.join("\n")}
</svg>
`;
}

/** A series of a grouped bar chart: one value per group (`null`: no bar, e.g. a skipped system). */
export interface BarSeries {
  name: string;
  values: (number | null)[];
}

const COLOURS = ["#2563eb", "#16a34a", "#9333ea", "#ea580c", "#dc2626", "#0891b2", "#ca8a04"];

/**
 * A grouped bar chart as SVG: one group per entry of `groups`, one bar per series in each group,
 * value labels on the bars, a legend, and a linear or log10 axis.
 */
export function groupedBarsSvg(opts: {
  title: string;
  unit: string;
  groups: string[];
  series: BarSeries[];
  log?: boolean;
}): string {
  const width = 960;
  const height = 440;
  const pad = { left: 70, right: 20, top: 50, bottom: 60 + 18 * Math.ceil(opts.series.length / 3) };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const values = opts.series.flatMap((s) => s.values.filter((v): v is number => v !== null && v > 0));
  const maxV = Math.max(...values, 1e-9);
  const minV = Math.min(...values, maxV);
  const lo = opts.log ? 10 ** Math.floor(Math.log10(minV)) : 0;
  const hi = opts.log ? 10 ** Math.ceil(Math.log10(maxV)) : maxV * 1.1;
  const y = (v: number) =>
    pad.top +
    plotH -
    (opts.log
      ? ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotH
      : (v / hi) * plotH);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${esc(opts.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${esc(opts.title)}</text>`,
  ];
  const ticks: number[] = [];
  if (opts.log) for (let t = lo; t <= hi * 1.0001; t *= 10) ticks.push(t);
  else for (let i = 0; i <= 5; i++) ticks.push((hi / 5) * i);
  for (const t of ticks) {
    const ty = y(opts.log ? t : Math.max(t, 0));
    out.push(
      `<line x1="${pad.left}" x2="${width - pad.right}" y1="${ty}" y2="${ty}" stroke="#e5e7eb"/>`,
      `<text x="${pad.left - 6}" y="${ty + 4}" text-anchor="end">${esc(t >= 1 ? fmt(t) : String(Number(t.toPrecision(2))))}</text>`,
    );
  }
  out.push(
    `<text x="16" y="${pad.top + plotH / 2}" transform="rotate(-90 16 ${pad.top + plotH / 2})" text-anchor="middle">${esc(opts.unit)}${opts.log ? " (log scale)" : ""}</text>`,
  );
  const groupW = plotW / opts.groups.length;
  const barW = Math.min(40, (groupW * 0.8) / opts.series.length);
  opts.groups.forEach((g, gi) => {
    const x0 = pad.left + gi * groupW + (groupW - barW * opts.series.length) / 2;
    opts.series.forEach((s, si) => {
      const v = s.values[gi];
      const x = x0 + si * barW;
      if (v === null || v === undefined || v <= 0) {
        out.push(
          `<text x="${x + barW / 2}" y="${pad.top + plotH - 4}" text-anchor="middle" fill="#999">–</text>`,
        );
        return;
      }
      const top = y(Math.max(v, lo || v));
      out.push(
        `<rect x="${x + 1}" y="${top}" width="${barW - 2}" height="${pad.top + plotH - top}" fill="${COLOURS[si % COLOURS.length]}"/>`,
        `<text x="${x + barW / 2}" y="${top - 3}" text-anchor="middle" font-size="10">${esc(v >= 100 ? fmt(v) : String(Number(v.toPrecision(2))))}</text>`,
      );
    });
    out.push(
      `<text x="${pad.left + gi * groupW + groupW / 2}" y="${pad.top + plotH + 18}" text-anchor="middle">${esc(g)}</text>`,
    );
  });
  opts.series.forEach((s, si) => {
    const lx = pad.left + (si % 3) * (plotW / 3);
    const ly = pad.top + plotH + 40 + Math.floor(si / 3) * 18;
    out.push(
      `<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${COLOURS[si % COLOURS.length]}"/>`,
      `<text x="${lx + 18}" y="${ly}">${esc(s.name)}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n");
}
