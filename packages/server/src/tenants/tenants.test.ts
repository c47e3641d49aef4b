import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HashEmbedder } from "@loci/engine";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../server.js";
import { startTestServer, type TestServer } from "../testing/test-server.js";

const SECRET = "CANARY-quarterly-numbers-42";
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.stop());

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe("tenants", () => {
  it("isolates tenants: a key reaches only its own tenant's data, whatever the path says", async () => {
    const created = await t.fetch("/v1/tenants", { method: "POST", body: JSON.stringify({ name: "acme" }) });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ name: "acme", encrypted: true, key_version: 1 });
    const acmeAdmin = await t.createKey({ admin: true, tenant: "acme" });
    const acme = t.client(acmeAdmin);
    await t.root.memory.add({
      namespace: "shared",
      id: "default-secret",
      content: `default tenant ${SECRET}`,
    });
    await acme.memory.add({ namespace: "shared", id: "acme-note", content: "acme's own note" });
    // Same namespace name in both tenants: each key sees only its own.
    expect((await acme.memory.list({ namespace: "shared" })).items.map((m) => m.id)).toEqual(["acme-note"]);
    expect((await t.root.memory.list({ namespace: "shared" })).items.map((m) => m.id)).toEqual([
      "default-secret",
    ]);
    const probe = await t.fetch("/v1/namespaces/shared/memories/default-secret", { key: acmeAdmin });
    expect(probe.status).toBe(404);
    const search = await acme.memory.search({ namespace: "shared", query: SECRET });
    expect(JSON.stringify(search)).not.toContain(SECRET);
    // An acme admin cannot manage tenants or mint keys elsewhere.
    expect((await t.fetch("/v1/tenants", { key: acmeAdmin })).status).toBe(403);
    const foreign = await t.fetch("/v1/keys", {
      key: acmeAdmin,
      method: "POST",
      body: JSON.stringify({ admin: true, tenant: "default" }),
    });
    expect(foreign.status).toBe(403);
    const acmeKeys = (await (await t.fetch("/v1/keys", { key: acmeAdmin })).json()) as { items: unknown[] };
    expect(acmeKeys.items).toHaveLength(1);
    expect((await t.fetch("/v1/tenants")).status).toBe(200);
  });

  it("stores no plaintext content on disk, and rotates a tenant key without disturbing others", async () => {
    await t.fetch("/v1/tenants", { method: "POST", body: JSON.stringify({ name: "rot" }) });
    const rot = t.client(await t.createKey({ admin: true, tenant: "rot" }));
    await rot.memory.addMany({
      namespace: "n",
      memories: Array.from({ length: 20 }, (_, i) => ({ content: `${SECRET} ${i}` })),
    });
    await t.root.memory.add({ namespace: "other", content: `${SECRET} in default` });
    for (const f of files(t.dataDir)) expect(readFileSync(f).includes(SECRET), f).toBe(false);
    const rekeyed = await t.fetch("/v1/tenants/rot/rekey", { method: "POST" });
    expect(await rekeyed.json()).toMatchObject({ name: "rot", key_version: 2 });
    await rot.memory.add({ namespace: "n", content: "after rotation" });
    expect((await rot.memory.list({ namespace: "n", limit: 100 })).items).toHaveLength(21);
    expect((await t.root.memory.list({ namespace: "other" })).items).toHaveLength(1);
  });

  it("deletes a tenant: its key, its data and its API keys are gone", async () => {
    await t.fetch("/v1/tenants", { method: "POST", body: JSON.stringify({ name: "gone" }) });
    const key = await t.createKey({ admin: true, tenant: "gone" });
    await t.client(key).memory.add({ namespace: "n", content: "short-lived" });
    expect((await t.fetch("/v1/tenants/gone", { method: "DELETE" })).status).toBe(204);
    expect((await t.fetch("/v1/namespaces", { key })).status).toBe(401);
    expect(readdirSync(join(t.dataDir, "tenants"))).not.toContain("gone");
    expect((await t.fetch("/v1/tenants/gone", { method: "DELETE" })).status).toBe(404);
    expect((await t.fetch("/v1/tenants/default", { method: "DELETE" })).status).toBe(400);
    expect(
      (await t.fetch("/v1/tenants", { method: "POST", body: JSON.stringify({ name: "../etc" }) })).status,
    ).toBe(400);
  });
});

describe("master key and quotas", () => {
  it("refuses to start with the wrong master key, with a clear error", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "loci-master-"));
    const logger = pino({ level: "silent" });
    const embedder = new HashEmbedder({ dimensions: 32 });
    const master = "11".repeat(32);
    try {
      const s = await startServer({
        dataDir,
        port: 0,
        embedder,
        rootKey: "root-key-0123456789",
        masterKey: master,
        logger,
      });
      await s.close();
      await expect(
        startServer({
          dataDir,
          port: 0,
          embedder,
          rootKey: "root-key-0123456789",
          masterKey: "22".repeat(32),
          logger,
        }),
      ).rejects.toThrow(/master key is not the one this data directory was created with/);
      const again = await startServer({
        dataDir,
        port: 0,
        embedder,
        rootKey: "root-key-0123456789",
        masterKey: master,
        logger,
      });
      await again.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("limits namespaces per tenant, content size and batch size as configured", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "loci-quota-"));
    const s = await startServer({
      dataDir,
      port: 0,
      embedder: new HashEmbedder({ dimensions: 32 }),
      rootKey: "root-key-0123456789",
      logger: pino({ level: "silent" }),
      maxNamespacesPerTenant: 2,
      limits: { contentChars: 100, batchSize: 3 },
    });
    try {
      const post = (path: string, body: object) =>
        fetch(s.url + path, {
          method: "POST",
          headers: { authorization: "Bearer root-key-0123456789" },
          body: JSON.stringify(body),
        });
      expect((await post("/v1/namespaces", { name: "a" })).status).toBe(201);
      expect((await post("/v1/namespaces/b/memories", { content: "auto-created" })).status).toBe(201);
      const third = await post("/v1/namespaces/c/memories", { content: "one too many" });
      expect(third.status).toBe(409);
      expect(((await third.json()) as { error: { code: string } }).error.code).toBe("QUOTA_EXCEEDED");
      const long = await post("/v1/namespaces/a/memories", { content: "x".repeat(101) });
      expect(long.status).toBe(413);
      const batch = await post("/v1/namespaces/a/memories/batch", {
        memories: [1, 2, 3, 4].map((i) => ({ content: `m${i}` })),
      });
      expect(batch.status).toBe(413);
    } finally {
      await s.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
