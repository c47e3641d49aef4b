import { describe, expect, it } from "vitest";
import { AccessTouches } from "./access-touches.js";

function recording(delayMs = 5) {
  const writes: { seqs: number[]; at: number }[] = [];
  let scheduled = 0;
  const touches = new AccessTouches({
    persist: async (seqs, at) => {
      writes.push({ seqs, at });
    },
    schedule: async (flush) => {
      scheduled++;
      await flush();
    },
    delayMs,
  });
  return { touches, writes, scheduled: () => scheduled };
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("AccessTouches", () => {
  it("coalesces the hits of several searches into one write, each seq once per hit, at the latest time", async () => {
    const { touches, writes, scheduled } = recording();
    touches.add([1, 2], 100);
    touches.add([2, 3], 90);
    expect(writes).toEqual([]);
    await settle(40);
    expect(scheduled()).toBe(1);
    expect(writes).toEqual([{ seqs: [1, 2, 2, 3], at: 100 }]);
    await touches.flush();
    expect(writes).toHaveLength(1);
  });

  it("flushes at once on demand, and a later hit schedules a new write", async () => {
    const { touches, writes } = recording();
    touches.add([7], 5);
    await touches.flush();
    expect(writes).toEqual([{ seqs: [7], at: 5 }]);
    touches.add([8], 6);
    await settle(40);
    expect(writes).toEqual([
      { seqs: [7], at: 5 },
      { seqs: [8], at: 6 },
    ]);
  });

  it("schedules nothing for an empty list, and discard drops what is pending", async () => {
    const { touches, writes, scheduled } = recording();
    touches.add([], 1);
    touches.add([4], 2);
    touches.discard();
    await settle(40);
    expect(scheduled()).toBe(0);
    expect(writes).toEqual([]);
  });
});
