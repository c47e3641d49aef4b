import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../testing/test-server.js";

const tsx = createRequire(import.meta.url).resolve("tsx");
const main = join(import.meta.dirname, "main.ts");
let t: TestServer;
let dir: string;

async function loci(
  args: string[],
  key?: string,
  server: TestServer = t,
): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ["--conditions=loci-source", "--import", tsx, main, ...args],
      { env: { ...process.env, LOCI_URL: server.url, LOCI_API_KEY: key ?? server.rootKey } },
    );
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

beforeAll(async () => {
  t = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), "loci-cli-"));
});
afterAll(async () => {
  await t.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("loci CLI", () => {
  it("creates, lists and revokes keys; manages namespaces", async () => {
    const created = await loci([
      "keys",
      "create",
      "--name",
      "researcher",
      "--scope",
      "researcher,team-*:read,write",
    ]);
    expect(created.code).toBe(0);
    const key = /key: (\S+)/.exec(created.stdout)![1]!;
    const id = /id: {2}(\S+)/.exec(created.stdout)![1]!;
    expect((await loci(["namespaces", "create", "team-x", "--description", "shared"], key)).stdout).toContain(
      "created team-x",
    );
    expect((await loci(["namespaces", "create", "writer"], key)).code).toBe(1);
    expect((await loci(["keys", "list"])).stdout).toContain(
      `${id}\tscoped\tresearcher\tresearcher,team-*:read,write`,
    );
    expect((await loci(["keys", "revoke", id])).stdout).toContain(`revoked ${id}`);
    const denied = await loci(["namespaces", "list"], key);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain("UNAUTHENTICATED");
    expect((await loci(["namespaces", "list"])).stdout).toContain("team-x\t0\tshared");
    expect((await loci(["bogus"])).code).toBe(2);
    expect((await loci(["tenants", "create", "acme"])).stdout).toContain("created tenant acme");
    const acme = await loci(["keys", "create", "--admin", "--tenant", "acme"]);
    expect(acme.code).toBe(0);
    expect((await loci(["tenants", "rekey", "acme"])).stdout).toContain("now v2");
    expect((await loci(["tenants", "list"])).stdout).toMatch(/acme\tencrypted\tkey v2/);
    expect((await loci(["tenants", "delete", "acme"])).stdout).toContain("deleted tenant acme");
  });

  it("exports JSONL and re-imports it idempotently, resuming after an interruption", async () => {
    await t.root.session.create({ namespace: "src", id: "run-1", metadata: { ticket: 7 } });
    await t.root.memory.addMany({
      namespace: "src",
      memories: Array.from({ length: 25 }, (_, i) => ({
        content: `memory ${i} about invoices`,
        metadata: { i },
        id: `m-${i}`,
        ...(i === 20 ? { sessionId: "run-1" } : {}),
      })),
    });
    await t.root.session.end({ namespace: "src", id: "run-1" });
    const file = join(dir, "src.jsonl");
    expect((await loci(["export", "src", "-o", file])).code).toBe(0);
    const all = readFileSync(file, "utf8").trim().split("\n");
    expect(all).toHaveLength(26);
    expect(JSON.parse(all[0]!)).toMatchObject({ kind: "session", id: "run-1", metadata: { ticket: 7 } });
    const lines = all.slice(1);
    // Simulate an import that stopped after line 11 (the session line + 10 memories), with a batch up
    // to memory 12 already committed when it was interrupted.
    await t.root.session.create({ namespace: "dst", id: "run-1", metadata: { ticket: 7 } });
    await t.root.memory.addMany({
      namespace: "dst",
      memories: lines.slice(0, 12).map((l) => {
        const w = JSON.parse(l);
        return { id: w.id, content: w.content, metadata: w.metadata };
      }),
    });
    writeFileSync(`${file}.loci-import.json`, JSON.stringify({ namespace: "dst", lines: 11 }));
    const imported = await loci(["import", "dst", file, "--batch", "5"]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain("imported 13 new memories");
    const again = await loci(["import", "dst", file]);
    expect(again.stdout).toContain("imported 0 new memories");
    const page = await t.root.memory.list({ namespace: "dst", limit: 100 });
    expect(page.items.map((m) => m.id).sort()).toEqual(Array.from({ length: 25 }, (_, i) => `m-${i}`).sort());
    expect(page.items.find((m) => m.id === "m-3")!.metadata).toEqual({ i: 3 });
    expect(page.items.find((m) => m.id === "m-20")!.sessionId).toBe("run-1");
    expect((await t.root.session.get({ namespace: "dst", id: "run-1" })).endedAt).not.toBeNull();
    const search = await loci(["search", "dst", "invoices", "--limit", "2"]);
    expect(search.stdout.match(/m-\d+/g)).toHaveLength(2);
  });

  it("import --skip-removed does not bring back memories removed from the namespace since", async () => {
    await t.root.memory.addMany({
      namespace: "skip-src",
      memories: Array.from({ length: 8 }, (_, i) => ({ content: `note ${i}`, id: `n-${i}` })),
    });
    const file = join(dir, "skip.jsonl");
    expect((await loci(["export", "skip-src", "-o", file])).code).toBe(0);
    expect((await loci(["import", "skip-dst", file])).stdout).toContain("imported 8 new memories");
    for (const id of ["n-1", "n-5", "n-6"]) await t.root.memory.delete({ namespace: "skip-dst", id });
    // n-6 is also stored again under its id: a stored id is simply "already there".
    await t.root.memory.add({ namespace: "skip-dst", id: "n-6", content: "rewritten" });
    const skipping = await loci(["import", "skip-dst", file, "--skip-removed", "--batch", "3"]);
    expect(skipping.code).toBe(0);
    expect(skipping.stdout).toContain(
      "imported 0 new memories into skip-dst (8 lines, 2 removed before and skipped)",
    );
    const ids = (await t.root.memory.list({ namespace: "skip-dst", limit: 100 })).items.map((m) => m.id);
    expect(ids.sort()).toEqual(["n-0", "n-2", "n-3", "n-4", "n-6", "n-7"]);
    // Without the flag, the import restores them (ids are free again after a delete).
    expect((await loci(["import", "skip-dst", file])).stdout).toContain("imported 2 new memories");
  });

  it("delete removes the memories matching --id, --session and --filter, and refuses a call selecting nothing", async () => {
    await t.root.session.create({ namespace: "cli-del", id: "run" });
    await t.root.memory.addMany({
      namespace: "cli-del",
      memories: [
        { id: "a", content: "one", metadata: { customer: "acme" } },
        { id: "b", content: "two", metadata: { customer: "acme" }, sessionId: "run" },
        { id: "c", content: "three", metadata: { customer: "beta" }, sessionId: "run" },
        { id: "d", content: "four", metadata: { customer: "beta" } },
      ],
    });
    const none = await loci(["delete", "cli-del"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("needs --id, --session or --filter");
    expect((await loci(["delete", "cli-del", "--filter", "{not json"])).code).toBe(2);
    const both = await loci(["delete", "cli-del", "--session", "run", "--filter", '{"customer":"acme"}']);
    expect(both.stdout).toContain("deleted 1 memories from cli-del");
    expect((await loci(["delete", "cli-del", "--id", "a", "--id", "d", "--id", "zz"])).stdout).toContain(
      "deleted 2 memories",
    );
    const ids = (await t.root.memory.list({ namespace: "cli-del" })).items.map((m) => m.id);
    expect(ids).toEqual(["c"]);
  });

  it("lists and exports everything from a server whose page size is below the CLI's 1,000", async () => {
    const small = await startTestServer({ limits: { pageSize: 50 } });
    try {
      for (const name of ["a", "b", "c"]) await small.root.namespace.create({ name });
      await small.root.memory.addMany({
        namespace: "a",
        memories: Array.from({ length: 120 }, (_, i) => ({ content: `memory ${i}`, id: `m-${i}` })),
      });
      const listed = await loci(["namespaces", "list"], undefined, small);
      expect(listed.stderr).toBe("");
      expect(
        listed.stdout
          .trim()
          .split("\n")
          .map((l) => l.split("\t")[0]),
      ).toEqual(["a", "b", "c"]);
      const file = join(dir, "small.jsonl");
      expect((await loci(["export", "a", "-o", file], undefined, small)).code).toBe(0);
      const ids = readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).id as string);
      expect(ids).toHaveLength(120);
      expect(new Set(ids).size).toBe(120);
    } finally {
      await small.stop();
    }
  });
});
