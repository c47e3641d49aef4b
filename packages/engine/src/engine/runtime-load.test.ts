import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HashEmbedder } from "../embed/hash.js";
import { Loci } from "../loci.js";
import { SqliteDriver } from "../storage/sqlite.js";
import { overrideStores } from "../testing/store-proxy.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("opening a namespace", () => {
  it("lets the event loop run between the pages of memories it reads", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "loci-load-"));
    dirs.push(dataDir);
    const embedder = new HashEmbedder({ dimensions: 8 });
    const first = await Loci.open({
      dataDir,
      embedder,
      storage: new SqliteDriver({ dir: join(dataDir, "s") }),
    });
    for (let b = 0; b < 7; b++) {
      await first.memory.addMany({
        namespace: "big",
        memories: Array.from({ length: 1_000 }, (_, i) => ({
          content: `memory ${b * 1_000 + i} of a large namespace`,
        })),
      });
    }
    await first.whenIndexed();
    await first.close();

    // Turns of the event loop, counted by a callback that re-queues itself; each page read notes the count.
    let turns = 0;
    let counting = true;
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    const atScan: number[] = [];
    const storage = overrideStores(new SqliteDriver({ dir: join(dataDir, "s") }), {
      scan: (real, opts) => {
        atScan.push(turns);
        return real.scan(opts);
      },
    });
    const loci = await Loci.open({ dataDir, embedder, storage });
    try {
      setImmediate(count);
      const hits = await loci.memory.search({ namespace: "big", query: "memory 6999", mode: "keyword" });
      expect(hits[0]?.memory.content).toBe("memory 6999 of a large namespace");
      counting = false;
      // 7,000 memories are four pages (2,000 each): other work ran before each page after the first.
      expect(atScan).toHaveLength(4);
      for (let i = 1; i < atScan.length; i++) expect(atScan[i]!).toBeGreaterThan(atScan[i - 1]!);
    } finally {
      counting = false;
      await loci.close();
    }
  });
});
