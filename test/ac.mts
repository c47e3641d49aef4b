import autocannon from "autocannon";
import { readFileSync } from "node:fs";
const [op = "search", c = "16", d = "10"] = process.argv.slice(2);
const qs: string[] = JSON.parse(readFileSync("/work/prof/queries.json", "utf8"));
const headers = { authorization: "Bearer bench-root-key-0123456789abcdef", "content-type": "application/json" };
let i = 0;
const r = await autocannon({ url: "http://127.0.0.1:3399", connections: Number(c), duration: Number(d),
  requests: [op === "get" ? { method: "GET", path: "/v1/namespaces/bench", headers } : { method: "POST", path: "/v1/namespaces/bench/search", headers,
    setupRequest: (req: any) => { req.body = JSON.stringify({ query: qs[i++ % qs.length], limit: 10 }); return req; } }] });
console.log(op, "c", c, "rps", r.requests.average, "p50", r.latency.p50, "p99", r.latency.p99, "err", r.non2xx + r.errors + r.timeouts);
