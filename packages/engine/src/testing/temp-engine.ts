/**
 * Test helper: an engine over a fresh temporary data directory, with a deterministic embedder.
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Clock } from "../clock.js";
import type { Embedder } from "../embed/embedder.js";
import { HashEmbedder } from "../embed/hash.js";
import { Loci, type LociOptions } from "../loci.js";

/** What {@link openTempEngine} returns. */
export interface TempEngine {
  loci: Loci;
  dataDir: string;
  /** Closes the engine and opens a new one over the same directory (same options unless overridden). */
  reopen(overrides?: Partial<LociOptions>): Promise<Loci>;
  /** Closes the engine and removes the directory. */
  cleanup(): Promise<void>;
}

/** Opens an engine over a new temp directory (HashEmbedder, 256-d, unless `embedder` is given). */
export async function openTempEngine(
  opts: { embedder?: Embedder; clock?: Clock } & Partial<LociOptions> = {},
): Promise<TempEngine> {
  const dataDir = mkdtempSync(join(tmpdir(), "loci-test-"));
  const base: LociOptions = { embedder: new HashEmbedder({ dimensions: 256 }), ...opts, dataDir };
  const env: TempEngine = {
    loci: await Loci.open(base),
    dataDir,
    async reopen(overrides = {}) {
      await env.loci.close();
      env.loci = await Loci.open({ ...base, ...overrides, dataDir });
      return env.loci;
    },
    async cleanup() {
      await env.loci.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return env;
}
