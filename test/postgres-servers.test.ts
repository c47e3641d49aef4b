/**
 * Scale-out on PostgreSQL: (1) the client suite over HTTP against a server whose storage is
 * PostgreSQL; (2) two `loci serve` processes on one database behind no shared state but the
 * database — a key made on one works on the other, writes through one are read, searched and streamed
 * (SSE) by the other, and a key revoked on one is refused by both; (3) a server keeping its index
 * snapshots in its own data directory (`LOCI_PG_SNAPSHOTS=on`). Runs against `LOCI_TEST_PG_URL`
 * when set, otherwise against PGlite served on 127.0.0.1.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LociClient } from "@loci/client";
import type { LociEvent } from "@loci/engine";
import { startTestServer } from "@loci/server/testing";
import { describe, expect, it } from "vitest";
import { runClientSuite } from "./client-conformance.case.js";
import { ROOT_KEY, ServerProcess } from "./harness/server-process.js";
import { usePostgres } from "./pg-harness.js";

const db = usePostgres();

describe("LociClient over HTTP, server on PostgreSQL", () => {
  runClientSuite({
    setup: async () => {
      const t = await startTestServer({ storage: db.url });
      return {
        client: t.root,
        async cleanup() {
          await t.stop();
          await db.reset();
        },
      };
    },
  });
});

async function call(base: string, key: string, method: string, path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

describe("two loci serve processes on one PostgreSQL", () => {
  it("share keys, tenants, memories and events; a revoked key is refused by both", async () => {
    const serve = () =>
      ServerProcess.start({ dataDir: mkdtempSync(join(tmpdir(), "loci-pg-serve-")), storage: db.url });
    const [a, b] = await Promise.all([serve(), serve()]);
    try {
      const rootA = new LociClient({ baseUrl: a.url, apiKey: ROOT_KEY });
      const rootB = new LociClient({ baseUrl: b.url, apiKey: ROOT_KEY });
      await rootA.namespace.create({ name: "team" });
      expect((await rootB.namespace.list()).items.map((n) => n.name)).toEqual(["team"]);

      // A key created through A authenticates on B.
      const made = await call(a.url, ROOT_KEY, "POST", "/v1/keys", {
        name: "writer",
        scopes: [{ namespaces: ["team"], permissions: ["read", "write"] }],
      });
      expect(made.status).toBe(201);
      const writerKey = made.body!.key as string;
      const writerB = new LociClient({ baseUrl: b.url, apiKey: writerKey, retries: 0 });

      // A live event stream on A sees what is written through B.
      const events: LociEvent[] = [];
      const sub = await rootA.events.subscribe({ namespace: "team" }, (e) => {
        events.push(e);
      });
      const written = [];
      for (let i = 0; i < 5; i++) {
        written.push(
          await writerB.memory.add({
            namespace: "team",
            content: `finding ${i}: Acme renews in Q2`,
            agentId: "w",
          }),
        );
      }
      // Read-your-writes across servers: A answers at once, from the database's newest state.
      expect((await rootA.memory.get({ namespace: "team", id: written[4]!.id })).content).toContain(
        "finding 4",
      );
      const hits = await rootA.memory.search({ namespace: "team", query: "Acme renewal", limit: 10 });
      expect(hits.map((h) => h.memory.id).sort()).toEqual(written.map((w) => w.id).sort());
      const end = Date.now() + 10_000;
      while (events.length < 5 && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
      sub.unsubscribe();
      expect(events.map((e) => e.id)).toEqual(written.map((w) => w.id));
      expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((x, y) => x - y));

      // Revoked through A: refused by B (and A) on the next request.
      const revoked = await call(a.url, ROOT_KEY, "DELETE", `/v1/keys/${made.body!.id as string}`);
      expect(revoked.status).toBe(200);
      for (const base of [b.url, a.url]) {
        const r = await call(base, writerKey, "POST", "/v1/namespaces/team/memories", { content: "late" });
        expect(r.status).toBe(401);
      }

      // Tenants are shared too, and isolated: acme's admin key (made on B) sees none of default's data on A.
      expect((await call(a.url, ROOT_KEY, "POST", "/v1/tenants", { name: "acme" })).status).toBe(201);
      const acmeAdmin = await call(b.url, ROOT_KEY, "POST", "/v1/keys", { admin: true, tenant: "acme" });
      expect(acmeAdmin.status).toBe(201);
      const acmeOnA = new LociClient({ baseUrl: a.url, apiKey: acmeAdmin.body!.key as string });
      expect((await acmeOnA.namespace.list()).items).toEqual([]);
      await acmeOnA.memory.add({ namespace: "team", content: "acme's own team notes" });
      expect((await rootB.memory.list({ namespace: "team", limit: 100 })).items).toHaveLength(5);
      const acmeOnB = new LociClient({ baseUrl: b.url, apiKey: acmeAdmin.body!.key as string });
      expect((await acmeOnB.memory.list({ namespace: "team" })).items.map((m) => m.content)).toEqual([
        "acme's own team notes",
      ]);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      for (const s of [a, b]) rmSync(s.dataDir, { recursive: true, force: true });
      await db.reset();
    }
  });
});

describe("loci serve on PostgreSQL with LOCI_PG_SNAPSHOTS=on", () => {
  it("keeps each namespace's index snapshots in its own data directory and reopens from them", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "loci-pg-snapshots-"));
    const server = await ServerProcess.start({ dataDir, storage: db.url, env: { LOCI_PG_SNAPSHOTS: "on" } });
    try {
      const client = () => new LociClient({ baseUrl: server.url, apiKey: ROOT_KEY });
      await client().memory.addMany({
        namespace: "team",
        memories: Array.from({ length: 40 }, (_, i) => ({ content: `note ${i}: Acme renewal ${i % 7}` })),
      });
      const search = async () =>
        (await client().memory.search({ namespace: "team", query: "Acme renewal 3", limit: 5 })).map(
          (h) => `${h.memory.id}@${h.score.toFixed(6)}`,
        );
      const before = await search();
      await server.stop(); // a graceful stop writes the snapshots
      const indexes = join(dataDir, "tenants", "default", "indexes", "t_default");
      const [only] = readdirSync(indexes);
      expect(readdirSync(join(indexes, only!)).sort()).toEqual([
        "keywords.bm25",
        "vectors.hnsw",
        "vectors.json",
        "vectors.sketch",
      ]);
      await server.restart();
      expect(await search()).toEqual(before);
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
      await db.reset();
    }
  });
});
