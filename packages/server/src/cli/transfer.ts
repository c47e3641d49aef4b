/**
 * `loci export <namespace>` and `loci import <namespace> <file>`: JSONL. Session lines come first
 * (`{"kind":"session", …}`), then one memory (wire format) per line. Import keeps ids, so it is
 * idempotent; it records its progress in `<file>.loci-import.json`, so an interrupted import resumes
 * where it stopped. Ended sessions are re-created open, filled, then ended again. `--skip-removed`
 * leaves out memories whose id was removed from the namespace before.
 */
import {
  createReadStream,
  createWriteStream,
  existsSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createInterface } from "node:readline";
import type { LociClient } from "@loci/client";
import { wire } from "@loci/client";
import { LociError, type MemoryInput, type Metadata } from "@loci/engine";
import { removedMemories } from "../idempotency.js";
import { clientFrom, parse, positional, progress } from "./args.js";
import { allPages } from "./pages.js";

export async function exportCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { out: { type: "string", short: "o" } });
  const client = clientFrom(values);
  const namespace = positional(positionals, 0, "namespace");
  const total = (await client.namespace.get({ namespace })).memoryCount;
  const out = values.out ? createWriteStream(values.out as string) : process.stdout;
  for await (const sessions of allPages((o) => client.session.list({ namespace, ...o })))
    for (const s of sessions) out.write(`${JSON.stringify({ kind: "session", ...wire.sessionToWire(s) })}\n`);
  let done = 0;
  for await (const memories of allPages((o) => client.memory.list({ namespace, ...o }))) {
    for (const m of memories) out.write(`${JSON.stringify(wire.memoryToWire(m))}\n`);
    done += memories.length;
    if (values.out) progress("export", Math.min(done, total), total);
  }
  if (values.out) await new Promise<void>((r) => (out as NodeJS.WritableStream).end(r));
}

/** What one import batch did. */
interface BatchOutcome {
  added: number;
  /** Memories left out because their id was removed from the namespace before (`--skip-removed`). */
  skipped: number;
}

/** The ids a `MEMORY_REMOVED` error names (empty for any other error). */
const removedIds = (err: unknown) => new Set(removedMemories(err).map((r) => r.id));

/**
 * Adds a batch; if some ids already exist (a resumed import), adds the rest one by one. With
 * `skipRemoved`, memories whose id was deleted, evicted or expired in the namespace are left out
 * (the server refuses them inside the write), so a re-import does not bring back what was removed.
 */
async function addBatch(
  client: LociClient,
  namespace: string,
  batch: MemoryInput[],
  skipRemoved: boolean,
): Promise<BatchOutcome> {
  const refuseRemovedIds = skipRemoved || undefined;
  let skipped = 0;
  let rest = batch;
  for (;;) {
    try {
      return {
        added: (await client.memory.addMany({ namespace, memories: rest, refuseRemovedIds })).length,
        skipped,
      };
    } catch (err) {
      const removed = removedIds(err);
      if (removed.size > 0) {
        rest = rest.filter((m) => m.id === undefined || !removed.has(m.id));
        skipped += removed.size;
        if (rest.length === 0) return { added: 0, skipped };
        continue;
      }
      if (!LociError.isInstance(err) || err.code !== "ALREADY_EXISTS") throw err;
      break;
    }
  }
  let added = 0;
  for (const m of rest) {
    try {
      await client.memory.add({ namespace, ...m, refuseRemovedIds });
      added++;
    } catch (e) {
      if (removedIds(e).size > 0) skipped++;
      else if (!LociError.isInstance(e) || e.code !== "ALREADY_EXISTS") throw e;
    }
  }
  return { added, skipped };
}

export async function importCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {
    batch: { type: "string" },
    "skip-removed": { type: "boolean" },
  });
  const skipRemoved = values["skip-removed"] === true;
  const client = clientFrom(values);
  const namespace = positional(positionals, 0, "namespace");
  const file = positional(positionals, 1, "file.jsonl");
  const batchSize = Math.min(1000, Math.max(1, Number(values.batch ?? 500)));
  const checkpoint = `${file}.loci-import.json`;
  const resumeFrom = existsSync(checkpoint)
    ? (JSON.parse(readFileSync(checkpoint, "utf8")) as { namespace: string; lines: number }).lines
    : 0;
  const total = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim()).length;
  let line = 0;
  let added = 0;
  let skipped = 0;
  let batch: MemoryInput[] = [];
  const ended: string[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const outcome = await addBatch(client, namespace, batch, skipRemoved);
    added += outcome.added;
    skipped += outcome.skipped;
    batch = [];
    writeFileSync(checkpoint, JSON.stringify({ namespace, lines: line }));
    progress("import", line, total);
  };
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const raw of rl) {
    if (!raw.trim()) continue;
    line++;
    if (line <= resumeFrom) continue;
    const w = JSON.parse(raw) as Record<string, unknown>;
    if (w.kind === "session") {
      if (w.ended_at) ended.push(w.id as string);
      await client.session
        .create({ namespace, id: w.id as string, metadata: w.metadata as Metadata })
        .catch((e: unknown) => {
          if (!LociError.isInstance(e) || e.code !== "ALREADY_EXISTS") throw e;
        });
      continue;
    }
    const { namespace: _ns, updated_at: _u, last_accessed_at: _l, access_count: _a, ...input } = w;
    batch.push(wire.memoryInputFromWire(input) as MemoryInput);
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  for (const id of ended) await client.session.end({ namespace, id });
  progress("import", total, total);
  rmSync(checkpoint, { force: true });
  const resumed = resumeFrom ? `, resumed after line ${resumeFrom}` : "";
  const left = skipRemoved ? `, ${skipped} removed before and skipped` : "";
  console.log(`imported ${added} new memories into ${namespace} (${line} lines${resumed}${left})`);
}
