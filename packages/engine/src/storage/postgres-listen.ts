/**
 * Change notifications of the PostgreSQL driver: one dedicated connection per driver runs
 * `LISTEN loci_changes` and hands every notification of the driver's schema to the subscribers.
 *
 * Notifications are delivered after COMMIT and are not stored: a listener that was disconnected
 * misses them. The listener therefore reconnects (with backoff) and, once listening again, reports
 * every namespace's current generation, so a subscriber catches up with `changesSince` from the
 * generation it last saw. The change log itself is what is durable.
 *
 * @module
 */
import pg from "pg";
import { CHANGE_CHANNEL } from "./postgres-tx.js";

/** A change subscriber: called with a namespace and its newest generation. */
export type ChangeListener = (namespace: string, generation: number) => void;

/** Options of {@link ChangeFeed}. */
export interface ChangeFeedOptions {
  /** Configuration of the dedicated LISTEN connection. */
  client: pg.ClientConfig;
  /** Only notifications of this schema are delivered. */
  schema: string;
  /** Current generations of all namespaces (called after a reconnect). */
  generations: () => Promise<[string, number][]>;
  /** Reconnect delays grow from this… @default 100 */
  minDelayMs?: number;
  /** …to this. @default 5000 */
  maxDelayMs?: number;
}

/** The LISTEN connection and its subscribers. */
export class ChangeFeed {
  readonly #opts: ChangeFeedOptions;
  readonly #listeners = new Set<ChangeListener>();
  #client: pg.Client | null = null;
  #starting: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #delay: number;
  #stopped = false;

  constructor(opts: ChangeFeedOptions) {
    this.#opts = opts;
    this.#delay = opts.minDelayMs ?? 100;
  }

  /** Adds a subscriber, connecting first if needed (rejects when the first connection fails). */
  async add(listener: ChangeListener): Promise<void> {
    this.#stopped = false;
    if (!this.#client) {
      this.#starting ??= this.#connect(false).finally(() => {
        this.#starting = null;
      });
      await this.#starting;
    }
    this.#listeners.add(listener);
  }

  /** Removes a subscriber; the connection closes with the last one. */
  async remove(listener: ChangeListener): Promise<void> {
    this.#listeners.delete(listener);
    if (this.#listeners.size === 0) await this.stop();
  }

  /** Closes the connection and stops reconnecting. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#starting?.catch(() => undefined);
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => undefined);
  }

  async #connect(resync: boolean): Promise<void> {
    const client = new pg.Client(this.#opts.client);
    client.on("notification", (msg) => this.#deliver(msg));
    client.on("error", () => this.#lost(client));
    client.on("end", () => this.#lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (err) {
      client.removeAllListeners("end");
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.#stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    this.#delay = this.#opts.minDelayMs ?? 100;
    if (resync) {
      for (const [namespace, generation] of await this.#opts.generations()) this.#emit(namespace, generation);
    }
  }

  #lost(client: pg.Client): void {
    if (this.#client !== client) return;
    this.#client = null;
    client.end().catch(() => undefined);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#connect(true).catch(() => {
        this.#delay = Math.min(this.#delay * 2, this.#opts.maxDelayMs ?? 5000);
        this.#schedule();
      });
    }, this.#delay);
    this.#timer.unref();
  }

  #deliver(msg: pg.Notification): void {
    if (msg.channel !== CHANGE_CHANNEL || !msg.payload) return;
    let event: { schema?: unknown; namespace?: unknown; generation?: unknown };
    try {
      event = JSON.parse(msg.payload) as typeof event;
    } catch {
      return;
    }
    if (event.schema !== this.#opts.schema) return;
    if (typeof event.namespace !== "string" || typeof event.generation !== "number") return;
    this.#emit(event.namespace, event.generation);
  }

  #emit(namespace: string, generation: number): void {
    for (const listener of this.#listeners) {
      try {
        listener(namespace, generation);
      } catch {
        // A throwing subscriber must not break delivery to the others.
      }
    }
  }
}
