/**
 * The peers benchmark: each system (see `peer-systems.ts`) runs in its own child process
 * (`peer-child.ts`) over the same generated data, one after the other, under a time and
 * resident-memory budget; recall@10 is computed here against the exact brute force.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChildResult } from "./peer-child.js";
import { SYSTEM_LABELS, SYSTEMS, type SystemName } from "./peer-systems.js";
import { fmt, markdownTable, writeResults } from "./report.js";
import { groupedBarsSvg } from "./svg.js";

/** Options of {@link runPeers}. */
export interface PeersOptions {
  sizes: number[];
  systems?: readonly SystemName[];
  dims?: number;
  queries?: number;
  /** Wall-clock budget of one system at one size (ingest + searches + reopen), seconds. */
  budgetSeconds?: number;
  /** Resident-memory budget of one system's process, MiB. */
  budgetMiB?: number;
  /** Idle seconds after the ingest before the settled resident size is taken. @default 15 */
  settleSeconds?: number;
  outDir?: string;
  log?: (line: string) => void;
}

/** One system at one size: its measurements, or why it has none. */
export interface PeerRow {
  system: SystemName;
  size: number;
  /** Set when the system did not finish: over budget or failed, with what it had reached. */
  skipped: string | null;
  ingestPerSec: number | null;
  ingestSeconds: number | null;
  /** Seconds until the ANN index held everything (Loci indexes in the background). */
  indexedSeconds: number | null;
  search: { p50: number; p99: number } | null;
  filtered: { p50: number; p99: number } | null;
  hybrid: { p50: number; p99: number } | null;
  recall: number | null;
  filteredRecall: number | null;
  rssMiB: number | null;
  /** Resident size after the ingest plus `settleSeconds` idle (see `ChildResult.settledRssMiB`). */
  settledRssMiB: number | null;
  peakRssMiB: number | null;
  reopenMs: number | null;
  reopenError: string | null;
  /** Loci against the floor's walk of the same graph, interleaved in one process (Loci rows only). */
  paired: ChildResult["paired"];
}

const here = dirname(fileURLToPath(import.meta.url));

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Runs one system in a child process; resolves to its result or to the reason it has none. */
function runChild(
  system: SystemName,
  size: number,
  opts: Required<Omit<PeersOptions, "outDir" | "log" | "sizes" | "systems">>,
): Promise<{ result: ChildResult } | { skipped: string }> {
  const dir = mkdtempSync(join(tmpdir(), `loci-peers-${system}-`));
  const args = [
    "--expose-gc",
    `--max-old-space-size=${opts.budgetMiB}`,
    "--import",
    "tsx",
    "--conditions=loci-source",
    join(here, "peer-child.ts"),
    ...["--system", system, "--size", String(size), "--dims", String(opts.dims)],
    ...["--queries", String(opts.queries), "--dir", dir, "--settle-s", String(opts.settleSeconds)],
  ];
  const child = spawn(process.execPath, args, { cwd: join(here, ".."), stdio: ["ignore", "pipe", "pipe"] });
  const started = performance.now();
  let stdout = "";
  let stderrTail = "";
  let progress = { n: 0, ms: 0 };
  let peak = 0;
  let over: string | null = null;
  child.stdout.on("data", (d: Buffer) => {
    stdout += d;
  });
  child.stderr.on("data", (d: Buffer) => {
    for (const line of String(d).split("\n")) {
      const m = /^PROGRESS (\d+) (\d+)/.exec(line);
      if (m) progress = { n: Number(m[1]), ms: Number(m[2]) };
      else if (line.trim()) stderrTail = `${stderrTail}\n${line}`.slice(-2000);
    }
  });
  const partial = () =>
    progress.n > 0
      ? `; reached ${fmt(progress.n)} memories ingested at ${fmt(progress.n / (progress.ms / 1000))}/s, RSS ${fmt(peak)} MiB`
      : `; RSS ${fmt(peak)} MiB`;
  const watch = setInterval(() => {
    peak = Math.max(peak, rssOf(child.pid!));
    const elapsed = (performance.now() - started) / 1000;
    if (!over && peak > opts.budgetMiB) over = `over budget: RSS > ${fmt(opts.budgetMiB)} MiB`;
    if (!over && elapsed > opts.budgetSeconds) over = `over budget: > ${opts.budgetSeconds} s`;
    if (over) child.kill("SIGKILL");
  }, 500);
  return new Promise((resolve) => {
    child.on("close", (code) => {
      clearInterval(watch);
      rmSync(dir, { recursive: true, force: true });
      const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
      if (line) resolve({ result: JSON.parse(line.slice(7)) as ChildResult });
      else if (over) resolve({ skipped: `${over}${partial()}` });
      else {
        const oom = /heap out of memory/i.test(stderrTail) ? "out of memory" : `exit ${code}`;
        resolve({ skipped: `failed (${oom})${partial()}: ${stderrTail.trim().split("\n").pop() ?? ""}` });
      }
    });
  });
}

/** Mean share of the exact top-k found, over the queries. */
export function recallAtK(got: number[][], truth: number[][]): number {
  let sum = 0;
  for (let i = 0; i < truth.length; i++) {
    const want = new Set(truth[i]);
    if (want.size === 0) {
      sum += 1;
      continue;
    }
    sum += (got[i] ?? []).filter((x) => want.has(x)).length / want.size;
  }
  return sum / Math.max(1, truth.length);
}

/** Runs the benchmark; returns its rows and the paths of what it wrote. */
export async function runPeers(opts: PeersOptions): Promise<{ rows: PeerRow[]; files: string[] }> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const systems = opts.systems ?? SYSTEMS;
  const child = {
    dims: opts.dims ?? 512,
    queries: opts.queries ?? 200,
    budgetSeconds: opts.budgetSeconds ?? 900,
    budgetMiB: opts.budgetMiB ?? 12_000,
    settleSeconds: opts.settleSeconds ?? 15,
  };
  const rows: PeerRow[] = [];
  for (const size of opts.sizes) {
    const results = new Map<SystemName, ChildResult>();
    for (const system of systems) {
      log(`… ${SYSTEM_LABELS[system]} at ${fmt(size)}`);
      const r = await runChild(system, size, child);
      if ("result" in r) results.set(system, r.result);
      else rows.push({ ...emptyRow(system, size), skipped: r.skipped });
    }
    const exact = results.get("exact");
    for (const [system, r] of results) {
      rows.push({
        system,
        size,
        skipped: null,
        ingestPerSec: size / (r.ingestMs / 1000),
        ingestSeconds: r.ingestMs / 1000,
        indexedSeconds: r.indexedMs / 1000,
        search: r.search,
        filtered: r.filtered,
        hybrid: r.hybrid,
        recall: exact ? recallAtK(r.ids, exact.ids) : null,
        filteredRecall: exact ? recallAtK(r.filteredIds, exact.filteredIds) : null,
        rssMiB: r.rssMiB,
        settledRssMiB: r.settledRssMiB,
        peakRssMiB: r.peakRssMiB,
        reopenMs: r.reopenMs,
        reopenError: r.reopenError,
        paired: r.paired,
      });
    }
  }
  rows.sort((a, b) => a.size - b.size || SYSTEMS.indexOf(a.system) - SYSTEMS.indexOf(b.system));
  log(`\n${peersTable(rows)}\n`);
  for (const line of targetLines(rows)) log(line);
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    dims: child.dims,
    queries: child.queries,
    k: 10,
    hnsw: { m: 16, efConstruction: 100, efSearch: 64 },
    budget: { seconds: child.budgetSeconds, mib: child.budgetMiB },
  };
  const files = writeResults(
    opts.outDir ?? join(here, "results"),
    "peers",
    { meta, rows },
    peersCharts(rows),
  );
  log(`\nwrote ${files.join(", ")}`);
  return { rows, files };
}

function emptyRow(system: SystemName, size: number): PeerRow {
  return {
    system,
    size,
    skipped: null,
    ingestPerSec: null,
    ingestSeconds: null,
    indexedSeconds: null,
    search: null,
    filtered: null,
    hybrid: null,
    recall: null,
    filteredRecall: null,
    rssMiB: null,
    settledRssMiB: null,
    peakRssMiB: null,
    reopenMs: null,
    reopenError: null,
    paired: null,
  };
}

const ms = (x: number | undefined | null) => (x === null || x === undefined ? "–" : `${x.toFixed(2)} ms`);
const pair = (v: { p50: number; p99: number } | null) => (v ? `${ms(v.p50)} / ${ms(v.p99)}` : "–");

/** The results as a Markdown table. */
export function peersTable(rows: PeerRow[]): string {
  const header = [
    "memories",
    "system",
    "ingest (acknowledged)",
    "ANN-indexed after",
    "search p50 / p99",
    "filtered p50 / p99",
    "hybrid p50 / p99",
    "recall@10",
    "filtered recall@10",
    "RSS (settled, peak)",
    "reopen",
  ];
  return markdownTable(
    header,
    rows.map((r) =>
      r.skipped
        ? [fmt(r.size), SYSTEM_LABELS[r.system], `skipped (${r.skipped})`, "", "", "", "", "", "", "", ""]
        : [
            fmt(r.size),
            SYSTEM_LABELS[r.system],
            `${fmt(r.ingestPerSec!)}/s (${r.ingestSeconds!.toFixed(1)} s)`,
            `${r.indexedSeconds!.toFixed(1)} s`,
            pair(r.search),
            pair(r.filtered),
            pair(r.hybrid),
            r.recall === null ? "–" : r.recall.toFixed(3),
            r.filteredRecall === null ? "–" : r.filteredRecall.toFixed(3),
            `${fmt(r.rssMiB!)} MiB (${fmt(r.settledRssMiB!)}, ${fmt(r.peakRssMiB!)})`,
            r.reopenError
              ? `failed (${r.reopenError})`
              : r.reopenMs === null
                ? "n/a (in memory only)"
                : ms(r.reopenMs),
          ],
    ),
  );
}

/** The issue's targets, checked against the rows (Loci vs the floor and the exact search). */
export function targetLines(rows: PeerRow[]): string[] {
  const out: string[] = [];
  const get = (s: SystemName, n: number) => rows.find((r) => r.system === s && r.size === n && !r.skipped);
  for (const size of [...new Set(rows.map((r) => r.size))]) {
    const loci = get("loci", size);
    const floor = get("floor", size);
    if (!loci) continue;
    const ratio = floor ? loci.search!.p50 / floor.search!.p50 : null;
    const p = loci.paired;
    const paired = p
      ? `; on one graph, interleaved in one process: ${ms(p.loci.p50)} / ${ms(p.floor.p50)} = ${p.ratio.toFixed(2)}× ` +
        `(same top 10: ${(100 * p.agreement).toFixed(1)} %)`
      : "";
    out.push(
      `${fmt(size)}: Loci search p50 ${ratio === null ? "–" : `${ratio.toFixed(2)}× the floor`}${paired} (target ≤ 1.5×), ` +
        `recall@10 ${loci.recall?.toFixed(3) ?? "–"} (target ≥ 0.95), ingest ${fmt(loci.ingestPerSec!)}/s ` +
        `(target ≥ 5,000/s), RSS ${fmt(loci.rssMiB!)} MiB after the ingest, ${fmt(loci.settledRssMiB!)} MiB settled`,
    );
  }
  return out;
}

function peersCharts(rows: PeerRow[]): Record<string, string> {
  const sizes = [...new Set(rows.map((r) => r.size))];
  const systems = SYSTEMS.filter((s) => rows.some((r) => r.system === s));
  const series = (pick: (r: PeerRow) => number | null | undefined) =>
    systems.map((s) => ({
      name: SYSTEM_LABELS[s],
      values: sizes.map((n) => {
        const r = rows.find((x) => x.system === s && x.size === n);
        return r && !r.skipped ? (pick(r) ?? null) : null;
      }),
    }));
  const groups = sizes.map((n) => `${fmt(n)} memories`);
  return {
    search: groupedBarsSvg({
      title: "Top-10 vector search latency, p50 (lower is better)",
      unit: "ms",
      groups,
      series: series((r) => r.search?.p50),
      log: true,
    }),
    ingest: groupedBarsSvg({
      title: "Ingest throughput (higher is better)",
      unit: "memories/s",
      groups,
      series: series((r) => r.ingestPerSec),
      log: true,
    }),
  };
}
