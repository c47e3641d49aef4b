import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  appendEncrypted,
  decryptBytes,
  decryptFile,
  encryptFile,
  fileTag,
  snapshotKeyOf,
} from "./snapshot-cipher.js";

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("snapshot encryption", () => {
  it.each([{ offThread: false }, { offThread: true }])(
    "round-trips a multi-chunk file and refuses altered files, other keys and other files (%o)",
    async (run) => {
      dir = mkdtempSync(join(tmpdir(), "loci-cipher-"));
      const plain = randomBytes(3 * (1 << 20) + 123);
      const src = join(dir, "plain");
      const enc = join(dir, "enc");
      const out = join(dir, "out");
      writeFileSync(src, plain);
      const key = snapshotKeyOf(randomBytes(32));
      const tag = await encryptFile(src, enc, key, run);
      const stored = readFileSync(enc);
      expect(tag).toBe(stored.subarray(stored.length - 16).toString("hex"));
      expect(await fileTag(enc)).toBe(tag);
      expect(stored.includes(plain.subarray(1000, 1032))).toBe(false);
      expect(await decryptFile(enc, out, key, run)).toBe(true);
      expect(readFileSync(out).equals(plain)).toBe(true);
      expect(await decryptFile(enc, out, snapshotKeyOf(randomBytes(32)), run)).toBe(false);
      expect(existsSync(out)).toBe(false);
      const flipped = Buffer.from(stored);
      flipped[flipped.length >> 1]! ^= 1;
      writeFileSync(enc, flipped);
      expect(await decryptFile(enc, out, key, run)).toBe(false);
      expect(existsSync(out)).toBe(false);
      expect(await decryptFile(src, out, key, run)).toBe(false);
      // Derived keys are per tenant key and never the tenant key itself.
      const tenant = randomBytes(32);
      expect(snapshotKeyOf(tenant).equals(snapshotKeyOf(tenant))).toBe(true);
      expect(snapshotKeyOf(tenant).equals(tenant)).toBe(false);
    },
  );

  it("encrypts bytes in memory in the file format, on either thread, and refuses altered bytes", async () => {
    dir = mkdtempSync(join(tmpdir(), "loci-cipher-"));
    const plain = randomBytes(2 * (1 << 20) + 77);
    const key = snapshotKeyOf(randomBytes(32));
    // Appended after what the file holds already (a snapshot's own header).
    const encrypted = async (opts: { offThread: boolean; transfer?: boolean }) => {
      const file = join(dir!, `enc-${opts.offThread}-${opts.transfer ?? false}`);
      writeFileSync(file, "HEAD");
      await appendEncrypted(opts.transfer ? Buffer.from(plain) : plain, key, file, opts);
      const bytes = readFileSync(file);
      expect(bytes.subarray(0, 4).toString()).toBe("HEAD");
      return bytes.subarray(4);
    };
    const here = await encrypted({ offThread: false });
    const there = await encrypted({ offThread: true });
    // Each thread decrypts what the other encrypted, and a file written from the bytes decrypts too.
    expect((await decryptBytes(there, key, { offThread: false }))?.equals(plain)).toBe(true);
    expect((await decryptBytes(here, key, { offThread: true }))?.equals(plain)).toBe(true);
    writeFileSync(join(dir, "enc"), here);
    expect(await decryptFile(join(dir, "enc"), join(dir, "out"), key)).toBe(true);
    expect(readFileSync(join(dir, "out")).equals(plain)).toBe(true);
    // Handed over to the worker: moved, not copied (the caller's buffer is detached afterwards).
    const handed = Buffer.from(await encrypted({ offThread: true, transfer: true }));
    const lent = Buffer.from(handed);
    expect((await decryptBytes(lent, key, { offThread: true, transfer: true }))?.equals(plain)).toBe(true);
    expect(lent.buffer.byteLength).toBe(0);
    expect((await decryptBytes(handed, key, { offThread: false }))?.equals(plain)).toBe(true);
    for (const offThread of [false, true]) {
      const altered = Buffer.from(here);
      altered[100]! ^= 1;
      expect(await decryptBytes(altered, key, { offThread })).toBeNull();
      expect(await decryptBytes(here, snapshotKeyOf(randomBytes(32)), { offThread })).toBeNull();
    }
  });
});
