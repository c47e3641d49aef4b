import { describe, expect, it } from "vitest";
import { ERROR_CODES, LociError, StorageError, storageFailure, toLociError } from "./errors.js";

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

describe("storageFailure", () => {
  it("maps a full disk to STORAGE_FULL (507) and a read-only one to STORAGE_READ_ONLY (503)", () => {
    for (const code of ["SQLITE_FULL", "ENOSPC", "EDQUOT"]) {
      const e = storageFailure(coded(code));
      expect(e).toBeInstanceOf(StorageError);
      expect(e?.code).toBe("STORAGE_FULL");
      expect(e?.status).toBe(507);
      expect(e?.details).toEqual({ reason: code });
    }
    for (const code of ["SQLITE_READONLY", "SQLITE_READONLY_DBMOVED", "EROFS", "SQLITE_CANTOPEN"]) {
      expect(storageFailure(coded(code))?.code).toBe("STORAGE_READ_ONLY");
    }
    expect(ERROR_CODES.STORAGE_READ_ONLY.status).toBe(503);
  });

  it("converts a STORAGE_ERROR caused by a read-only directory, and nothing else", () => {
    const open = new StorageError({ message: "cannot open x.db", cause: coded("SQLITE_CANTOPEN") });
    expect(storageFailure(open)?.code).toBe("STORAGE_READ_ONLY");
    expect(
      storageFailure(new StorageError({ message: "wrong key", cause: coded("SQLITE_NOTADB") })),
    ).toBeNull();
    expect(storageFailure(new LociError({ code: "ALREADY_EXISTS" }))).toBeNull();
    expect(storageFailure(coded("SQLITE_CONSTRAINT"))).toBeNull();
    expect(storageFailure("ENOSPC")).toBeNull();
  });

  it("is what toLociError uses for errors it does not know", () => {
    expect(toLociError(coded("ENOSPC", "no space left on device")).code).toBe("STORAGE_FULL");
    expect(toLociError(new Error("boom")).code).toBe("INTERNAL");
  });
});
