/**
 * A lock file that keeps two live engines off one data directory (their in-memory indexes would
 * diverge). A lock left by a dead process is taken over.
 *
 * @module
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { ConflictError, storageFailure } from "../errors.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the lock of `dir`; returns a release function. @throws {ConflictError} DATA_DIR_LOCKED */
export function lockDirectory(dir: string): () => void {
  const file = join(dir, "LOCK");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw storageFailure(err) ?? err;
      const pid = Number(readFileSync(file, "utf8"));
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw new ConflictError({
          code: "DATA_DIR_LOCKED",
          message: `data directory ${dir} is in use by ${pid === process.pid ? "another engine in this process" : `process ${pid}`}; close it first`,
        });
      }
      rmSync(file, { force: true });
    }
  }
  throw new ConflictError({ code: "DATA_DIR_LOCKED", message: `could not lock data directory ${dir}` });
}
