import { describe, expect, it } from "vitest";
import { can, matchPattern, type Principal } from "./scopes.js";

describe("matchPattern", () => {
  it.each([
    ["team-*", "team-shared", true],
    ["team-*", "team-", true],
    ["team-*", "teams", false],
    ["team-*", "my-team-x", false],
    ["*", "anything", true],
    ["researcher", "researcher", true],
    ["researcher", "researcher2", false],
    ["a*b*c", "aXXbYYc", true],
    ["a*b*c", "acb", false],
    ["*-shared", "team-shared", true],
    ["*-shared", "team-shared-2", false],
    ["a.b", "aXb", false],
    ["ab*ba", "aba", false],
  ])("%s matches %s: %s", (pattern, name, expected) => {
    expect(matchPattern(pattern, name)).toBe(expected);
  });
});

describe("can", () => {
  const researcher: Principal = {
    keyId: "k",
    tenant: "default",
    role: "scoped",
    scopes: [
      { namespaces: ["researcher", "team-*"], permissions: ["read", "write"] },
      { namespaces: ["coordinator"], permissions: ["read"] },
    ],
  };
  it("grants exactly what the scopes list", () => {
    expect(can(researcher, "researcher", "write")).toBe(true);
    expect(can(researcher, "team-shared", "write")).toBe(true);
    expect(can(researcher, "coordinator", "read")).toBe(true);
    expect(can(researcher, "coordinator", "write")).toBe(false);
    expect(can(researcher, "writer", "read")).toBe(false);
  });
  it("lets admin and root do anything in their tenant", () => {
    expect(can({ ...researcher, role: "admin", scopes: [] }, "writer", "write")).toBe(true);
    expect(can({ ...researcher, role: "root", scopes: [] }, "writer", "write")).toBe(true);
  });
});
