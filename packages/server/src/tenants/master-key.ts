/**
 * The master key wraps every tenant's data key (envelope encryption). It comes from
 * `LOCI_MASTER_KEY` (64 hex characters or base64 of 32 bytes) or from `<dataDir>/system/master.key`,
 * created with mode 0600 on first start. Losing it makes every tenant's data unreadable.
 *
 * @module
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StorageError, ValidationError } from "@loci/engine";

/** Parses a 32-byte key from hex or base64. */
export function parseKey(raw: string, source: string): Buffer {
  const text = raw.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, "hex") : Buffer.from(text, "base64");
  if (key.length !== 32)
    throw new ValidationError({ message: `${source} must be 32 bytes as 64 hex characters or base64` });
  return key;
}

/** Loads the master key (env, else the key file, else a new key file). */
export function loadMasterKey(opts: { dataDir: string; masterKey?: string }): Buffer {
  const raw = opts.masterKey ?? process.env.LOCI_MASTER_KEY;
  if (raw) return parseKey(raw, "LOCI_MASTER_KEY");
  const dir = join(opts.dataDir, "system");
  const file = join(dir, "master.key");
  if (existsSync(file)) return parseKey(readFileSync(file, "utf8"), file);
  mkdirSync(dir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString("hex")}\n`, { mode: 0o600, flag: "wx" });
  return key;
}

/** Encrypts a data key with the master key (AES-256-GCM): iv ‖ tag ‖ ciphertext, base64. */
export function wrapKey(master: Buffer, dataKey: Buffer, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", master, iv);
  cipher.setAAD(Buffer.from(context));
  const ct = Buffer.concat([cipher.update(dataKey), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ct]).toString("base64");
}

/** Decrypts a wrapped data key. @throws {StorageError} when the master key is wrong. */
export function unwrapKey(master: Buffer, wrapped: string, context: string): Buffer {
  const buf = Buffer.from(wrapped, "base64");
  try {
    const decipher = createDecipheriv("aes-256-gcm", master, buf.subarray(0, 12));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(buf.subarray(12, 28));
    return Buffer.concat([decipher.update(buf.subarray(28)), decipher.final()]);
  } catch (err) {
    throw new StorageError({
      message: `cannot unwrap the data key of ${context}: the master key is not the one this data directory was created with`,
      details: { reason: "wrong_master_key" },
      cause: err,
    });
  }
}
