/**
 * Background maintenance: purging expired memories. Expired memories are invisible from the moment
 * they expire; the sweep deletes them (`memory.expired` events). Nothing else deletes data except
 * explicit deletes and `maxMemories` eviction.
 *
 * @module
 */
import { NotFoundError } from "../errors.js";
import type { EngineCore } from "./core.js";
import type { NamespaceRuntime } from "./namespace-runtime.js";

/** Purges expired memories of one namespace; returns how many were purged. */
export async function sweepNamespace(core: EngineCore, rt: NamespaceRuntime): Promise<number> {
  if (rt.expiring === 0) return 0;
  return rt.write(async () => {
    const now = core.clock.now();
    const ids: string[] = [];
    for (const doc of rt.docs.values()) if (doc.expiresAt !== null && doc.expiresAt <= now) ids.push(doc.id);
    if (ids.length === 0) return 0;
    const deleted = await rt.store.delete(ids, now, "memory.expired");
    rt.applyDeletes(deleted, await rt.store.generation());
    return deleted.length;
  });
}

/** Purges expired memories of every open namespace (or of all namespaces with `all`). */
export async function sweepExpired(core: EngineCore, opts: { all?: boolean } | null = {}): Promise<number> {
  const sweep = (rt: NamespaceRuntime) => sweepNamespace(core, rt);
  let purged = 0;
  if (opts?.all) {
    // One namespace at a time, so the engine stays within `maxOpenNamespaces` as it goes.
    for (const { name } of await core.driver.listNamespaces()) {
      try {
        purged += await core.use(name, sweep);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err; // deleted meanwhile
      }
    }
  } else {
    for (const name of core.openNames()) purged += (await core.useOpen(name, sweep)) ?? 0;
  }
  return purged;
}
