/** A dependency-free SVG horizontal bar chart for benchmark results. */

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
