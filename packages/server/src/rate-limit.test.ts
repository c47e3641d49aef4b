import { describe, expect, it } from "vitest";
import { RateLimiter } from "./rate-limit.js";

describe("RateLimiter", () => {
  it("allows a burst, then refills at the sustained rate, per key", () => {
    const rl = new RateLimiter({ perSecond: 2, burst: 3 });
    expect([0, 0, 0].map(() => rl.take("a", 1000))).toEqual([0, 0, 0]);
    expect(rl.take("a", 1000)).toBe(1);
    expect(rl.take("b", 1000)).toBe(0);
    expect(rl.take("a", 1500)).toBe(0);
    expect(rl.take("a", 1500)).toBe(1);
    expect(rl.take("a", 2500)).toBe(0);
  });

  it("wait() tells the seconds until a token without taking one", () => {
    const rl = new RateLimiter({ perSecond: 1, burst: 2 });
    for (let i = 0; i < 5; i++) expect(rl.wait("a", 0)).toBe(0);
    expect([rl.take("a", 0), rl.take("a", 0)]).toEqual([0, 0]);
    expect(rl.wait("a", 0)).toBe(1);
    expect(rl.wait("a", 500)).toBe(1);
    expect(rl.wait("a", 1000)).toBe(0);
    expect(rl.take("a", 1000)).toBe(0);
    expect(rl.take("a", 1000)).toBe(1);
  });

  it("is off with perSecond 0", () => {
    const rl = new RateLimiter({ perSecond: 0, burst: 0 });
    for (let i = 0; i < 1000; i++) expect(rl.take("a", 0)).toBe(0);
  });
});
