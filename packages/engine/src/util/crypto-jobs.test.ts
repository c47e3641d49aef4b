import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cryptBytes, cryptFile } from "./crypto-jobs.js";

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const key = randomBytes(32);
const iv = randomBytes(12);

describe.each([{ offThread: false }, { offThread: true }])("crypto jobs (%o)", (run) => {
  it("hash and encrypt a file range as the whole bytes would be, and decrypt it back", async () => {
    dir = mkdtempSync(join(tmpdir(), "loci-crypto-"));
    const data = randomBytes(5 * (1 << 20) + 3);
    const src = join(dir, "data");
    writeFileSync(src, data);
    const digest = await cryptFile({ spec: { kind: "sha256" }, src, start: 0, end: data.length, ...run });
    expect(digest.toString("hex")).toBe(createHash("sha256").update(data).digest("hex"));
    const sealed = join(dir, "sealed");
    writeFileSync(sealed, "HEAD");
    const last = await cryptFile({
      spec: { kind: "encrypt", key, iv },
      src,
      start: 10,
      end: data.length,
      dst: sealed,
      ...run,
    });
    const tag = last.subarray(last.length - 16);
    const body = Buffer.concat([readFileSync(sealed).subarray(4), last.subarray(0, last.length - 16)]);
    expect(readFileSync(sealed).subarray(0, 4).toString()).toBe("HEAD"); // appended after what was there
    expect(body.length).toBe(data.length - 10);
    const opened = await cryptBytes({ kind: "decrypt", key, iv, tag }, body, run);
    expect(opened.equals(data.subarray(10))).toBe(true);
    // The same through memory: the bytes' output is the file's output followed by its final bytes.
    expect(
      (await cryptBytes({ kind: "encrypt", key, iv }, data.subarray(10), run)).equals(
        Buffer.concat([body, tag]),
      ),
    ).toBe(true);
  });

  it("reject a decryption that does not authenticate, a missing file and a short one", async () => {
    const plain = randomBytes(3 << 20);
    const sealed = await cryptBytes({ kind: "encrypt", key, iv }, plain, run);
    const tag = sealed.subarray(sealed.length - 16);
    const body = sealed.subarray(0, sealed.length - 16);
    const wrongTag = Buffer.from(tag);
    wrongTag[0]! ^= 1;
    await expect(cryptBytes({ kind: "decrypt", key, iv, tag: wrongTag }, body, run)).rejects.toThrow();
    dir = mkdtempSync(join(tmpdir(), "loci-crypto-"));
    const spec = { kind: "sha256" } as const;
    await expect(cryptFile({ spec, src: join(dir, "missing"), start: 0, end: 10, ...run })).rejects.toThrow();
    writeFileSync(join(dir, "short"), "0123456789");
    await expect(cryptFile({ spec, src: join(dir, "short"), start: 0, end: 20, ...run })).rejects.toThrow(
      /end of file/,
    );
  });
});

it("hands a view's bytes to the worker, not the rest of its buffer (nor detaches it)", async () => {
  const whole = randomBytes(4 << 20);
  const view = whole.subarray(1 << 20, 2 << 20);
  const digest = await cryptBytes({ kind: "sha256" }, view, { offThread: true });
  expect(digest.toString("hex")).toBe(createHash("sha256").update(view).digest("hex"));
  expect(whole.length).toBe(4 << 20); // still usable here
});

it("runs many large jobs at once, a few workers at a time, each with its own result", async () => {
  const inputs = Array.from({ length: 12 }, (_, i) => randomBytes((1 << 20) + i));
  const digests = await Promise.all(
    inputs.map((d) => cryptBytes({ kind: "sha256" }, d, { offThread: true })),
  );
  expect(digests.map((d) => d.toString("hex"))).toEqual(
    inputs.map((d) => createHash("sha256").update(d).digest("hex")),
  );
});
