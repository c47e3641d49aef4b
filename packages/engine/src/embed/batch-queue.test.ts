import { describe, expect, it } from "vitest";
import { BatchQueue } from "./batch-queue.js";

/** A runner that doubles numbers, records each batch, and finishes a batch when told to. */
function controlled(batchSize: number) {
  const batches: number[][] = [];
  const gates: (() => void)[] = [];
  let failNext = false;
  const queue = new BatchQueue<number, number>({
    batchSize,
    run: async (items) => {
      batches.push(items);
      await new Promise<void>((r) => gates.push(r));
      if (failNext) {
        failNext = false;
        throw new Error("model down");
      }
      return items.map((x) => x * 2);
    },
  });
  const tick = () => new Promise((r) => setTimeout(r, 0));
  /** Lets the running batch finish. */
  const release = async () => {
    await tick();
    gates.shift()?.();
    await tick();
  };
  return { queue, batches, release, failNextRun: () => (failNext = true) };
}

describe("BatchQueue", () => {
  it("sends a lone call at once, and merges the calls that arrive while a batch runs", async () => {
    const { queue, batches, release } = controlled(8);
    const first = queue.push([1]);
    const later = [queue.push([2]), queue.push([3, 4]), queue.push([5])];
    await release();
    expect(batches).toEqual([[1], [2, 5, 3, 4]]);
    await release();
    expect(await first).toEqual([2]);
    expect(await Promise.all(later)).toEqual([[4], [6, 8], [10]]);
  });

  it("splits a call larger than the batch size and keeps its order", async () => {
    const { queue, batches, release } = controlled(3);
    const all = queue.push([1, 2, 3, 4, 5, 6, 7]);
    for (let i = 0; i < 3; i++) await release();
    expect(batches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(await all).toEqual([2, 4, 6, 8, 10, 12, 14]);
  });

  it("puts a small call ahead of a bulk call's remainder, and the bulk call still advances", async () => {
    const { queue, batches, release } = controlled(4);
    const bulk = queue.push([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const query = queue.push([100]);
    await release();
    expect(batches[1]).toEqual([100, 5, 6, 7]);
    await release();
    expect(await query).toEqual([200]);
    await release();
    expect(batches).toHaveLength(3);
    expect(await bulk).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
  });

  it("rejects an aborted call at once and never sends its waiting items", async () => {
    const { queue, batches, release } = controlled(4);
    const running = queue.push([1]);
    const controller = new AbortController();
    const aborted = queue.push([2, 3], controller.signal);
    const other = queue.push([4]);
    controller.abort(new Error("caller gave up"));
    await expect(aborted).rejects.toThrow("caller gave up");
    await release();
    await release();
    expect(batches).toEqual([[1], [4]]);
    expect(await running).toEqual([2]);
    expect(await other).toEqual([8]);
    await expect(queue.push([5], AbortSignal.abort())).rejects.toBeDefined();
  });

  it("rejects a call aborted while its items run, and still answers the others of that batch", async () => {
    const { queue, batches, release } = controlled(4);
    const first = queue.push([1]);
    const controller = new AbortController();
    const mine = expect(queue.push([3], controller.signal)).rejects.toMatchObject({ name: "AbortError" });
    const theirs = queue.push([4]);
    await release(); // [1] done; [3, 4] now runs
    expect(batches).toEqual([[1], [3, 4]]);
    controller.abort();
    await mine; // at once, before the batch carrying it is done
    await release();
    expect(await first).toEqual([2]);
    expect(await theirs).toEqual([8]);
  });

  it("fails the calls of a failed run only; the next batch runs as usual", async () => {
    const { queue, release, failNextRun } = controlled(2);
    failNextRun();
    const a = expect(queue.push([1, 2, 3])).rejects.toThrow("model down");
    const b = queue.push([9]);
    await release();
    await a;
    await release();
    expect(await b).toEqual([18]);
    expect(await queue.push([])).toEqual([]);
  });

  it("runs each call alone after a shared run failed, so only the call with the bad input fails", async () => {
    const batches: number[][] = [];
    let gate: (() => void) | null = null;
    const queue = new BatchQueue<number, number>({
      batchSize: 8,
      run: async (items) => {
        batches.push(items);
        if (items[0] === 0) await new Promise<void>((r) => (gate = r));
        if (items.some((x) => x < 0)) throw new Error(`cannot embed ${items.join(",")}`);
        return items.map((x) => x * 2);
      },
    });
    const first = queue.push([0]);
    const good = queue.push([1, 2]);
    const bad = expect(queue.push([-1])).rejects.toThrow("cannot embed -1");
    const other = queue.push([3]);
    await new Promise((r) => setTimeout(r, 0));
    gate!();
    expect(await first).toEqual([0]);
    expect(await good).toEqual([2, 4]);
    await bad;
    expect(await other).toEqual([6]);
    expect(batches).toEqual([[0], [-1, 3, 1, 2], [-1], [3], [1, 2]]);
  });
});
