/**
 * The engine's one source of time. Inject a {@link ManualClock} in tests to move time instead of sleeping.
 *
 * @module
 */

/** Returns the current time in epoch milliseconds. */
export interface Clock {
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to (for tests and replays). */
export class ManualClock implements Clock {
  #now: number;
  constructor(start: number | Date = Date.UTC(2026, 0, 1)) {
    this.#now = typeof start === "number" ? start : start.getTime();
  }
  now(): number {
    return this.#now;
  }
  /** Moves time forward by `ms` milliseconds (or hours with `{ hours }`). */
  advance(by: number | { hours?: number; minutes?: number; ms?: number }): void {
    const ms =
      typeof by === "number" ? by : (by.hours ?? 0) * 3_600_000 + (by.minutes ?? 0) * 60_000 + (by.ms ?? 0);
    this.#now += ms;
  }
  /** Sets the time. */
  set(to: number | Date): void {
    this.#now = typeof to === "number" ? to : to.getTime();
  }
}
