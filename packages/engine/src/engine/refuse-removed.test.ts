import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";

let env: TempEngine;
afterEach(async () => env.cleanup());

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected the write to fail");
    },
    (e: unknown) => e as { code: string; details?: { removed?: unknown }; message: string },
  );

describe("refuseRemovedIds", () => {
  it("refuses an id deleted or evicted before, writes nothing, and says how each went", async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    env = await openTempEngine({ clock });
    const { loci } = env;
    await loci.namespace.create({ name: "r", config: { maxMemories: 3 } });
    const gone = await loci.memory.add({ namespace: "r", id: "gone", content: "deleted later" });
    clock.advance(1000);
    const deletedAt = clock.now();
    await loci.memory.delete({ namespace: "r", id: gone.id });
    await loci.memory.addMany({
      namespace: "r",
      memories: ["old", "b", "c", "d"].map((id) => ({ id, content: `memory ${id}` })),
    });
    expect(await loci.memory.get({ namespace: "r", id: "old" }).catch((e) => e.code)).toBe(
      "MEMORY_NOT_FOUND",
    );
    const before = (await loci.memory.list({ namespace: "r", limit: 100 })).items.map((m) => m.id);

    const err = await failure(
      loci.memory.addMany({
        namespace: "r",
        refuseRemovedIds: true,
        memories: [
          { id: "new", content: "never stored" },
          { id: "gone", content: "back again?" },
          { id: "old", content: "back again?" },
        ],
      }),
    );
    expect(err.code).toBe("MEMORY_REMOVED");
    expect(err.details?.removed).toEqual([
      { id: "gone", reason: "deleted", at: new Date(deletedAt).toISOString() },
      { id: "old", reason: "evicted", at: expect.any(String) },
    ]);
    expect(err.message).toMatch(/"gone" in "r" was deleted at .* \(and 1 more\)/);
    // All or nothing: the new id was not written either.
    expect((await loci.memory.list({ namespace: "r", limit: 100 })).items.map((m) => m.id)).toEqual(before);

    const single = await failure(
      loci.memory.add({ namespace: "r", id: "gone", content: "x", refuseRemovedIds: true }),
    );
    expect(single.code).toBe("MEMORY_REMOVED");
    // Without the option the id is free again, as before.
    const back = await loci.memory.add({ namespace: "r", id: "gone", content: "back" });
    expect((await loci.memory.get({ namespace: "r", id: back.id })).content).toBe("back");
    // Ids never removed write as usual with it.
    const fresh = await loci.memory.add({
      namespace: "r",
      id: "fresh",
      content: "new",
      refuseRemovedIds: true,
    });
    expect(fresh.id).toBe("fresh");
  });

  it("fails only the refusing write of a group committed together", async () => {
    env = await openTempEngine();
    const { loci } = env;
    await loci.memory.add({ namespace: "g", id: "gone", content: "deleted later" });
    await loci.memory.delete({ namespace: "g", id: "gone" });
    const writes = [
      loci.memory.add({ namespace: "g", id: "a", content: "first" }),
      loci.memory.add({ namespace: "g", id: "gone", content: "refused", refuseRemovedIds: true }),
      loci.memory.add({ namespace: "g", id: "b", content: "second", refuseRemovedIds: true }),
      loci.memory.add({ namespace: "g", id: "gone", content: "allowed: no option" }),
    ];
    const settled = await Promise.allSettled(writes);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ code: "MEMORY_REMOVED" });
    expect((await loci.memory.get({ namespace: "g", id: "gone" })).content).toBe("allowed: no option");
  });

  it("a stored id stays ALREADY_EXISTS, and the option must be a boolean", async () => {
    env = await openTempEngine();
    const { loci } = env;
    await loci.memory.add({ namespace: "s", id: "here", content: "stored" });
    const err = await failure(
      loci.memory.add({ namespace: "s", id: "here", content: "x", refuseRemovedIds: true }),
    );
    expect(err.code).toBe("ALREADY_EXISTS");
    const bad = await failure(
      loci.memory.add({ namespace: "s", content: "x", refuseRemovedIds: "yes" as unknown as boolean }),
    );
    expect(bad).toMatchObject({ code: "INVALID_ARGUMENT", details: { field: "refuseRemovedIds" } });
  });
});
