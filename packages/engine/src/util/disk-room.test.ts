import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { StorageError } from "../errors.js";
import { ensureRoom, SNAPSHOT_RESERVE_BYTES } from "./disk-room.js";

describe("ensureRoom", () => {
  const dir = mkdtempSync(join(tmpdir(), "loci-room-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("returns when the filesystem has room for the file and the reserve", () => {
    expect(() => ensureRoom(dir, 1_000, "test snapshot")).not.toThrow();
  });

  it("refuses a file that would not leave the reserve free, with a typed STORAGE_FULL error", () => {
    let err: unknown;
    try {
      ensureRoom(dir, Number.MAX_SAFE_INTEGER - SNAPSHOT_RESERVE_BYTES, "test snapshot");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({ code: "STORAGE_FULL", details: { dir } });
    expect((err as Error).message).toMatch(/not enough free space for the test snapshot/);
  });

  it("assumes room where the filesystem cannot tell (here: a directory that is not there)", () => {
    expect(() => ensureRoom(join(dir, "missing"), Number.MAX_SAFE_INTEGER, "x")).not.toThrow();
  });
});
