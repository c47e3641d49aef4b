/**
 * Per-key rate limiting: a token bucket per API key (one shared bucket when authentication is off,
 * which only loopback clients can reach), and one per client address for failed authentications.
 * A request over the limit gets 429 `RATE_LIMITED` with `Retry-After` (seconds).
 *
 * @module
 */

/** Rate-limit settings. */
export interface RateLimitOptions {
  /** Sustained requests per second per key. 0 disables limiting. @default 100 */
  perSecond: number;
  /** Burst size (bucket capacity). @default 200 */
  burst: number;
}

/** Default limits: generous for agents, bounded for runaway loops. */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { perSecond: 100, burst: 200 };

/**
 * Default limit on failed authentications per client address: 20 in a burst, then one a second, so
 * guessing keys (a weak `LOCI_ROOT_KEY`) is slow while a misconfigured client recovers at once.
 */
export const DEFAULT_AUTH_FAILURE_LIMIT: RateLimitOptions = { perSecond: 1, burst: 20 };

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets keyed by caller. */
export class RateLimiter {
  readonly #opts: RateLimitOptions;
  readonly #buckets = new Map<string, Bucket>();

  constructor(opts: RateLimitOptions = DEFAULT_RATE_LIMIT) {
    this.#opts = opts;
  }

  /** Takes a token for `key`; returns 0 when allowed, else the seconds to wait. */
  take(key: string, now: number): number {
    const wait = this.wait(key, now);
    if (wait === 0 && this.#opts.perSecond > 0) this.#buckets.get(key)!.tokens -= 1;
    return wait;
  }

  /** The seconds until `key` has a token (0: it has one now), without taking it. */
  wait(key: string, now: number): number {
    const { perSecond, burst } = this.#opts;
    if (perSecond <= 0) return 0;
    const b = this.#buckets.get(key) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond);
    b.at = now;
    this.#buckets.set(key, b);
    if (this.#buckets.size > 100_000) this.#prune(now);
    return b.tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - b.tokens) / perSecond));
  }

  /** Drops buckets that are full again (idle callers). */
  #prune(now: number): void {
    for (const [k, b] of this.#buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.#opts.perSecond >= this.#opts.burst)
        this.#buckets.delete(k);
    }
  }
}
