/**
 * Prometheus metrics in the text exposition format: request counts and latency histograms per
 * route template (never per concrete path, so no namespace names or ids leak into labels).
 *
 * @module
 */

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

const label = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/** Request metrics of one server. */
export class Metrics {
  readonly #requests = new Map<string, number>();
  readonly #latency = new Map<string, Histogram>();
  readonly #started = Date.now();
  #sseClients = 0;

  /** Records one finished request. */
  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `method="${label(method)}",route="${label(route)}",status="${status}"`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
    const hkey = `method="${label(method)}",route="${label(route)}"`;
    const h = this.#latency.get(hkey) ?? { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) h.counts[i]!++;
    });
    h.sum += seconds;
    h.count++;
    this.#latency.set(hkey, h);
  }

  /** Tracks open event streams. */
  sse(delta: 1 | -1): void {
    this.#sseClients += delta;
  }

  /** The exposition text. */
  render(gauges: Record<string, number> = {}): string {
    const out: string[] = [];
    out.push("# HELP loci_http_requests_total HTTP requests by method, route and status.");
    out.push("# TYPE loci_http_requests_total counter");
    for (const [k, v] of this.#requests) out.push(`loci_http_requests_total{${k}} ${v}`);
    out.push("# HELP loci_http_request_duration_seconds HTTP request latency.");
    out.push("# TYPE loci_http_request_duration_seconds histogram");
    for (const [k, h] of this.#latency) {
      BUCKETS.forEach((b, i) => {
        out.push(`loci_http_request_duration_seconds_bucket{${k},le="${b}"} ${h.counts[i]}`);
      });
      out.push(`loci_http_request_duration_seconds_bucket{${k},le="+Inf"} ${h.count}`);
      out.push(`loci_http_request_duration_seconds_sum{${k}} ${h.sum}`);
      out.push(`loci_http_request_duration_seconds_count{${k}} ${h.count}`);
    }
    const all: Record<string, number> = {
      loci_sse_clients: this.#sseClients,
      loci_uptime_seconds: (Date.now() - this.#started) / 1000,
      process_resident_memory_bytes: process.memoryUsage().rss,
      ...gauges,
    };
    for (const [name, value] of Object.entries(all)) {
      out.push(`# TYPE ${name} ${name.endsWith("_total") ? "counter" : "gauge"}`);
      out.push(`${name} ${value}`);
    }
    return `${out.join("\n")}\n`;
  }
}
