/**
 * Acknowledged writes survive a crash: a child process writes memories and is killed with SIGKILL
 * mid-stream; every write it acknowledged must be readable and searchable after reopening.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HashEmbedder, Loci } from "@loci/engine";
import { describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
const tsx = require.resolve("tsx");

function runAndKill(dataDir: string, killAfterAcks: number): Promise<Map<string, string[]>> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--conditions=loci-source",
        "--import",
        tsx,
        join(import.meta.dirname, "fixtures", "crash-writer.ts"),
        dataDir,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const acked = new Map<string, string[]>();
    let count = 0;
    let buffer = "";
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      for (const line of lines) {
        const [, ns, id] = line.split(" ");
        if (!ns || !id) continue;
        acked.set(ns, [...(acked.get(ns) ?? []), id]);
        if (++count === killAfterAcks) child.kill("SIGKILL");
      }
    });
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve(acked);
      else reject(new Error(`writer exited (${code}) before being killed: ${stderr}`));
    });
  });
}

describe("crash safety", () => {
  it("keeps every acknowledged write after kill -9, with working indexes", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "loci-crash-"));
    try {
      for (const round of [1, 2]) {
        const acked = await runAndKill(dataDir, 120 * round);
        const loci = await Loci.open({ dataDir, embedder: new HashEmbedder({ dimensions: 64 }) });
        try {
          for (const [ns, ids] of acked) {
            for (const id of ids) expect((await loci.memory.get({ namespace: ns, id })).id).toBe(id);
            const page = await loci.memory.list({ namespace: ns, limit: 1000 });
            expect(page.items.length).toBeGreaterThanOrEqual(ids.length);
            const hits = await loci.memory.search({ namespace: ns, query: "crash durability", limit: 1000 });
            expect(hits.length).toBe(page.items.length);
          }
        } finally {
          await loci.close();
        }
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
