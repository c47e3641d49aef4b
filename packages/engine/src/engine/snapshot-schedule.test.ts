import { describe, expect, it } from "vitest";
import { SnapshotSchedule } from "./snapshot-schedule.js";

/** An index stand-in: what a snapshot of it would lack, and the snapshots written (by generation). */
interface Source {
  pending: number;
}

function schedule(opts: { fail?: boolean } = {}) {
  const written: number[] = [];
  const failures: unknown[] = [];
  const discarded: string[] = [];
  let release: (() => void) | null = null;
  let hold = false;
  const s = new SnapshotSchedule<Source, string>({
    target: () => "dir",
    every: 10,
    save: async (_source, _target, generation) => {
      if (hold) await new Promise<void>((resolve) => (release = resolve));
      if (opts.fail) throw new Error("disk full");
      written.push(generation);
    },
    lacking: (source) => source.pending,
    discard: (target) => discarded.push(target),
    onFailure: (err) => failures.push(err),
  });
  return {
    s,
    written,
    failures,
    discarded,
    hold: () => {
      hold = true;
    },
    release: () => {
      hold = false;
      release?.();
    },
  };
}

describe("SnapshotSchedule", () => {
  it("is due after `every` changes, or a tenth of the namespace when that is more", () => {
    const { s } = schedule();
    s.loaded(100, 0);
    expect(s.due(109, 50)).toBe(false);
    expect(s.due(110, 50)).toBe(true);
    expect(s.due(110, 500)).toBe(false); // a tenth of 500 is 50
    expect(s.due(150, 500)).toBe(true);
  });

  it("completes a snapshot once its backlog is in only when it lacked as much as a snapshot is due for", async () => {
    const t = schedule();
    t.s.loaded(0, 0);
    const source = { pending: 4 };
    expect(
      await t.s.write(
        () => source,
        () => 10,
      ),
    ).toBe(true);
    // Four pending vectors left out of a namespace of 50: caught up on the next open instead.
    expect(t.s.completionDue(50)).toBe(false);
    source.pending = 30;
    expect(
      await t.s.write(
        () => source,
        () => 20,
      ),
    ).toBe(true);
    expect(t.s.completionDue(50)).toBe(true);
    expect(t.s.completionDue(1_000)).toBe(false); // 30 < a tenth of 1,000
    source.pending = 0;
    // The same generation is written again while the last file lacks entries…
    expect(
      await t.s.write(
        () => source,
        () => 20,
      ),
    ).toBe(true);
    expect(t.s.completionDue(50)).toBe(false);
    // …and not once it is complete.
    expect(
      await t.s.write(
        () => source,
        () => 20,
      ),
    ).toBe(false);
    expect(t.written).toEqual([10, 20, 20]);
    t.s.invalidate(); // a rebuilt graph: the file on disk is another graph's
    expect(t.s.completionDue(1_000_000)).toBe(true);
  });

  it("a snapshot loaded without a usable file, or caught up on open, counts what it lacks", () => {
    const { s } = schedule();
    s.loaded(0, Number.POSITIVE_INFINITY);
    expect(s.completionDue(10)).toBe(true);
    s.loaded(40, 3);
    expect(s.completionDue(10)).toBe(false);
  });

  it("runs one write at a time and folds the calls made during it into one", async () => {
    const t = schedule();
    t.s.loaded(0, 0);
    const source = { pending: 0 };
    let generation = 5;
    t.hold();
    const first = t.s.write(
      () => source,
      () => generation,
    );
    expect(t.s.due(100, 0)).toBe(false); // never due while one is written
    generation = 6;
    const second = t.s.write(
      () => source,
      () => generation,
    );
    generation = 7;
    const third = t.s.write(
      () => source,
      () => generation,
    );
    expect(second).toBe(third);
    t.release();
    expect(await first).toBe(true);
    expect(await second).toBe(true);
    await t.s.idle();
    expect(t.written).toEqual([5, 7]);
  });

  it("reports a failed write, cleans up after it and stays behind", async () => {
    const t = schedule({ fail: true });
    t.s.loaded(0, 0);
    expect(
      await t.s.write(
        () => ({ pending: 0 }),
        () => 12,
      ),
    ).toBe(false);
    expect(t.failures).toHaveLength(1);
    expect(t.discarded).toEqual(["dir"]);
    expect(t.s.due(12, 0)).toBe(true);
  });
});
