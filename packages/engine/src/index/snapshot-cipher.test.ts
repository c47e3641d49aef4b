import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { decryptFile, encryptFile, snapshotKeyOf } from "./snapshot-cipher.js";

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("snapshot encryption", () => {
  it("round-trips a multi-chunk file and refuses altered files, other keys and other files", async () => {
    dir = mkdtempSync(join(tmpdir(), "loci-cipher-"));
    const plain = randomBytes(3 * (1 << 20) + 123);
    const src = join(dir, "plain");
    const enc = join(dir, "enc");
    const out = join(dir, "out");
    writeFileSync(src, plain);
    const key = snapshotKeyOf(randomBytes(32));
    await encryptFile(src, enc, key);
    const stored = readFileSync(enc);
    expect(stored.includes(plain.subarray(1000, 1032))).toBe(false);
    expect(await decryptFile(enc, out, key)).toBe(true);
    expect(readFileSync(out).equals(plain)).toBe(true);
    expect(await decryptFile(enc, out, snapshotKeyOf(randomBytes(32)))).toBe(false);
    expect(existsSync(out)).toBe(false);
    const flipped = Buffer.from(stored);
    flipped[flipped.length >> 1]! ^= 1;
    writeFileSync(enc, flipped);
    expect(await decryptFile(enc, out, key)).toBe(false);
    expect(existsSync(out)).toBe(false);
    expect(await decryptFile(src, out, key)).toBe(false);
    // Derived keys are per tenant key and never the tenant key itself.
    const tenant = randomBytes(32);
    expect(snapshotKeyOf(tenant).equals(snapshotKeyOf(tenant))).toBe(true);
    expect(snapshotKeyOf(tenant).equals(tenant)).toBe(false);
  });
});
