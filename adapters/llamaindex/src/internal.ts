/**
 * Helpers shared by the adapters (not exported from the package).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { type Filter, LociError, type Memory, type MemoryClient, type Metadata } from "@loci/engine";

/** The largest page `memory.list` returns. */
const PAGE = 1000;

/** Every memory of a namespace matching `filter`, in insertion order (empty if the namespace is missing). */
export async function listAll(client: MemoryClient, namespace: string, filter?: Filter): Promise<Memory[]> {
  const out: Memory[] = [];
  let cursor: string | undefined;
  try {
    do {
      const page = await client.memory.list({
        namespace,
        limit: PAGE,
        ...(filter ? { filter } : {}),
        ...(cursor ? { cursor } : {}),
      });
      out.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  } catch (err) {
    if (hasCode(err, "NAMESPACE_NOT_FOUND")) return [];
    throw err;
  }
  return out;
}

/** True when `err` is a Loci error (from the engine or the HTTP client) with this code. */
export function hasCode(err: unknown, code: string): boolean {
  return LociError.isInstance(err) && err.code === code;
}

/** Deep-copies a value through JSON, dropping `undefined` and functions (Loci metadata is JSON). */
export function toJson<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** A JSON-safe metadata object. */
export function toMetadata(value: Record<string, unknown>): Metadata {
  return toJson(value) as Metadata;
}

/** A deterministic memory id for a tuple of strings (SHA-256, hex). */
export function deterministicId(prefix: string, ...parts: string[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(`${p.length}:${p}`);
  return `${prefix}-${h.digest("hex")}`;
}

/** Adds a memory with a fixed id, or replaces content and metadata when that id already exists. */
export async function upsertMemory(
  client: MemoryClient,
  opts: { namespace: string; id: string; content: string; metadata: Metadata; embedding?: number[] },
): Promise<void> {
  try {
    await client.memory.add(opts);
  } catch (err) {
    if (!hasCode(err, "ALREADY_EXISTS")) throw err;
    await client.memory.update(opts);
  }
}

/** Memory content must not be blank: a placeholder for blank text. */
export function nonBlank(text: string, placeholder: string): string {
  return text.trim() === "" ? placeholder : text;
}

/** Deletes every memory of `namespace` matching `filter` (none when the namespace does not exist); returns how many. */
export async function deleteAll(client: MemoryClient, namespace: string, filter: Filter): Promise<number> {
  try {
    return (await client.memory.deleteMany({ namespace, filter })).deleted;
  } catch (err) {
    if (hasCode(err, "NAMESPACE_NOT_FOUND")) return 0;
    throw err;
  }
}
