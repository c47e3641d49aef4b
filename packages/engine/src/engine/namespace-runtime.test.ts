import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { newRecord } from "../storage/records.case.js";
import { SqliteDriver } from "../storage/sqlite.js";
import { DEFAULT_NAMESPACE_CONFIG } from "./convert.js";
import { NamespaceRuntime } from "./namespace-runtime.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("NamespaceRuntime", () => {
  it("keeps its memory table in seq order when memories arrive out of it (list pages by seq)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loci-rt-"));
    dirs.push(dir);
    const driver = new SqliteDriver({ dir });
    const record = {
      name: "ns",
      description: "",
      config: DEFAULT_NAMESPACE_CONFIG,
      createdAt: 1,
      updatedAt: 1,
    };
    await driver.createNamespace(record);
    const store = await driver.openNamespace("ns");
    const rt = await NamespaceRuntime.open({ store, record });
    try {
      const { inserted } = await store.insert(["a", "b", "c", "d"].map((id) => newRecord(id)));
      const bySeq = inserted.map((r) => ({ ...r, embedding: null }));
      // As on shared storage when another process's inserts (seqs 1–2) commit after this one's (3–4).
      rt.applyUpserts(bySeq.slice(2), await store.generation());
      rt.applyUpserts(bySeq.slice(0, 2), await store.generation());
      expect([...rt.docs.keys()]).toEqual(inserted.map((r) => r.seq));
      // An update of a memory already in the table leaves the order as it is.
      rt.applyUpserts([bySeq[0]!], await store.generation());
      expect([...rt.docs.keys()]).toEqual(inserted.map((r) => r.seq));
    } finally {
      await rt.close();
      await driver.close();
    }
  });
});
