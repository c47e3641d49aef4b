/**
 * Security suite, run against a server on each storage (`security.test.ts`: SQLite,
 * `security-postgres.test.ts`: PostgreSQL): every route × every class of unauthorized caller must get
 * the right status and change nothing; then a fuzzer sends thousands of malformed and hostile
 * requests, none of which may produce a 5xx or take the server down. Prints a table of attempts per class.
 *
 * Another tenant's key is resolved to its own tenant's engine: whatever it sends, it must never see
 * or change the victim tenant's data (its requests act on its own, separate data).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { TestServer } from "@loci/server/testing";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROUTES, type RouteCase } from "./routes.js";

/** Options of {@link runSecuritySuite}. */
export interface SecuritySuiteOptions {
  /** Starts the server under test. */
  start: () => Promise<TestServer>;
  /** Runs after the server stopped (e.g. drops the database). */
  afterStop?: () => Promise<void>;
  /** Fuzzed requests. */
  fuzzRuns: number;
}

let t: TestServer;
const table: { cls: string; attempts: number; expected: string; observed: Map<string, number> }[] = [];

function record(cls: string, expected: string, observed: string): void {
  let row = table.find((r) => r.cls === cls);
  if (!row) {
    row = { cls, attempts: 0, expected, observed: new Map() };
    table.push(row);
  }
  row.attempts++;
  row.observed.set(observed, (row.observed.get(observed) ?? 0) + 1);
}

/** Everything an attacker could change, read with the root key. */
async function fingerprint(): Promise<string> {
  const get = async (path: string) => (await t.fetch(path)).text();
  const keys = JSON.parse(await get("/v1/keys")) as { items: { id: string; revoked_at: string | null }[] };
  return JSON.stringify([
    await get("/v1/namespaces"),
    await get("/v1/namespaces/victim/memories?limit=1000"),
    await get("/v1/namespaces/victim/sessions"),
    await get("/v1/namespaces/victim/graph/export"),
    keys.items.map((k) => [k.id, k.revoked_at]),
  ]).replace(/"(last_accessed_at|access_count)":("[^"]*"|\d+)/g, "");
}

async function send(r: RouteCase, key: string | null, bodies?: string[]): Promise<number> {
  const controller = new AbortController();
  const res = await t.fetch(r.path, {
    method: r.method,
    key,
    signal: controller.signal,
    ...(r.body === undefined ? {} : { body: JSON.stringify(r.body) }),
  });
  if (res.status >= 500) console.log("5xx", r.method, r.path, await res.text());
  else if (bodies && !r.path.includes("/events")) bodies.push(await res.text());
  controller.abort(); // event streams stay open otherwise
  return res.status;
}

/** Registers the suite. */
export function runSecuritySuite(opts: SecuritySuiteOptions): void {
  beforeAll(async () => {
    t = await opts.start();
    await t.root.session.create({ namespace: "victim", id: "victim-session" });
    await t.root.memory.add({
      namespace: "victim",
      id: "victim-memory",
      content: "secret plan",
      sessionId: "victim-session",
    });
    await t.root.knowledgeGraph.addEdge({
      namespace: "victim",
      source: { type: "person", name: "Vic" },
      target: { type: "company", name: "Victim Corp" },
      edgeType: "works_at",
    });
    await t.root.memory.add({ namespace: "attacker-home", content: "attacker's own" });
  });

  afterAll(async () => {
    await t.stop();
    await opts.afterStop?.();
    const rows = table.map((r) => [
      r.cls,
      String(r.attempts),
      r.expected,
      [...r.observed].map(([k, v]) => `${k}×${v}`).join(" "),
    ]);
    const header = ["class", "attempts", "expected", "observed"];
    const w = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
    const line = (r: string[]) => `| ${r.map((x, c) => x.padEnd(w[c]!)).join(" | ")} |`;
    console.log(
      ["", line(header), `|${w.map((n) => "-".repeat(n + 2)).join("|")}|`, ...rows.map(line)].join("\n"),
    );
  });

  describe("authorization matrix", () => {
    it("denies every route to every unauthorized caller, changing nothing", async () => {
      const revoked = await t.createKey({ scopes: [{ namespaces: ["*"], permissions: ["read", "write"] }] });
      await t.fetch(`/v1/keys/${revoked.split("_")[1]}`, { method: "DELETE" });
      const expired = await t.createKey({
        scopes: [{ namespaces: ["*"], permissions: ["read", "write"] }],
        expires_at: Date.now() - 1,
      });
      const otherScope = await t.createKey({
        scopes: [{ namespaces: ["attacker-*"], permissions: ["read", "write"] }],
      });
      const readOnly = await t.createKey({ scopes: [{ namespaces: ["victim"], permissions: ["read"] }] });
      const classes: { cls: string; key: string | null; label: string; expect: (r: RouteCase) => number }[] =
        [
          { cls: "no key", key: null, label: "401", expect: () => 401 },
          { cls: "malformed key", key: "Bearer%%%", label: "401", expect: () => 401 },
          { cls: "forged key", key: `loci_AAAAAAAAAAAA_${"A".repeat(43)}`, label: "401", expect: () => 401 },
          { cls: "revoked key", key: revoked, label: "401", expect: () => 401 },
          { cls: "expired key", key: expired, label: "401", expect: () => 401 },
          {
            cls: "key of another namespace scope",
            key: otherScope,
            label: "403 (200 filtered list)",
            expect: (r) => (r.path === "/v1/namespaces" && r.method === "GET" ? 200 : 403),
          },
          {
            cls: "read-only key writing",
            key: readOnly,
            label: "403",
            expect: (r) => (r.need === "read" ? -1 : 403),
          },
        ];
      const before = await fingerprint();
      // Another tenant's admin key: full rights in its own tenant, none in the victim's.
      await t.fetch("/v1/tenants", { method: "POST", body: JSON.stringify({ name: "evil" }) });
      const evil = await t.createKey({ admin: true, tenant: "evil" });
      const leaked: string[] = [];
      for (const route of ROUTES) {
        const status = await send(route, evil, leaked);
        record(
          "other tenant's admin key",
          "own tenant only; no victim data",
          status < 500 ? `${status}` : "5xx",
        );
      }
      expect(leaked.join("\n")).not.toContain("secret plan");
      for (const c of classes) {
        for (const route of ROUTES) {
          const expected = c.expect(route);
          if (expected === -1) continue;
          const status = await send(route, c.key);
          record(c.cls, c.label, String(status));
          expect(status, `${c.cls}: ${route.method} ${route.path}`).toBe(expected);
        }
      }
      expect(await fingerprint()).toBe(before);
      // Encryption at rest: the victim's content appears in no file of the data directory.
      const files = (dir: string): string[] =>
        readdirSync(dir).flatMap((f) =>
          statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)],
        );
      const plaintext = files(t.dataDir).filter((f) => readFileSync(f).includes("secret plan"));
      record(
        "byte scan of the data directory",
        "no plaintext",
        plaintext.length ? `found in ${plaintext.length}` : "none",
      );
      expect(plaintext).toEqual([]);
      // The other-scope key's namespace listing never shows the victim.
      const listed = (await (await t.fetch("/v1/namespaces", { key: otherScope })).json()) as {
        items: { name: string }[];
      };
      expect(listed.items.map((n) => n.name)).toEqual(["attacker-home"]);
    });
  });

  describe("fuzzing", () => {
    const hostileString = fc.oneof(
      fc.string(),
      fc.constantFrom(
        "../../etc/passwd",
        "..%2F..%2F",
        "\u0000",
        "%00",
        "__proto__",
        "constructor",
        "a".repeat(200),
        "😀🔥",
        "\uD800",
        "NEAR(",
        '"',
        "*",
        "ns:victim",
      ),
    );
    const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
      fc.jsonValue(),
      fc.record(
        { content: fc.oneof(fc.jsonValue(), hostileString), metadata: fc.jsonValue() },
        { requiredKeys: [] },
      ),
      fc.record(
        {
          query: fc.oneof(fc.jsonValue(), hostileString),
          limit: fc.oneof(fc.integer(), fc.double(), fc.constant(1e308)),
          metadata_filter: fc.jsonValue(),
          mode: fc.oneof(fc.string(), fc.constant("hybrid")),
        },
        { requiredKeys: [] },
      ),
      fc.constant(
        JSON.parse(
          '{"__proto__": {"polluted": true}, "content": "x", "metadata": {"__proto__": {"a": 1}, "constructor": {"prototype": {"b": 2}}}}',
        ),
      ),
      fc.letrec((tie) => ({
        deep: fc.oneof({ depthSize: "small" }, fc.constant(1), fc.array(tie("deep"), { maxLength: 2 })),
      })).deep,
    );
    const rawBody = fc.oneof(
      hostileJson.map((v) => JSON.stringify(v) ?? "null"),
      fc.string(),
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString("latin1")),
      fc.constant("{".repeat(5000)),
      fc.constant(`{"content": "${"x".repeat(200_000)}"}`),
    );

    it(`answers ${opts.fuzzRuns.toLocaleString("en-US")} hostile requests without a 5xx or a crash`, async () => {
      const paths = ROUTES.filter((r) => !r.path.includes("/events"));
      let count = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...paths),
          rawBody,
          fc.oneof(
            fc.constant("victim"),
            hostileString.map((s) =>
              encodeURIComponent((s as unknown as { toWellFormed(): string }).toWellFormed()).slice(0, 300),
            ),
          ),
          fc.constantFrom(
            "application/json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "",
          ),
          async (route, body, name, contentType) => {
            const path = route.path.replace("/victim", `/${name || "x"}`);
            const withBody = route.method !== "GET" && route.method !== "DELETE";
            const res = await t
              .fetch(path, {
                method: route.method,
                ...(withBody ? { body, headers: contentType ? { "content-type": contentType } : {} } : {}),
              })
              .catch((err: Error) => {
                throw new Error(
                  `${route.method} ${path} [${contentType}] body ${body.length} chars ${JSON.stringify(body.slice(0, 120))}: ${err.message}`,
                );
              });
            await res.arrayBuffer();
            count++;
            const cls = res.status >= 500 ? "5xx" : res.status >= 400 ? "4xx" : "2xx";
            record("fuzzed (root key)", "no 5xx", cls);
            expect(res.status, `${route.method} ${path} ${body.slice(0, 200)}`).toBeLessThan(500);
          },
        ),
        { numRuns: opts.fuzzRuns },
      );
      expect(count).toBe(opts.fuzzRuns);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect((await fetch(`${t.url}/health`)).status).toBe(200);
    }, 300_000); // a budget, not a speed assertion: 10,000 requests on a busy 2-core machine
  });
}
