/**
 * Test helper: PGlite (PostgreSQL 18 in WASM, with pgvector and pg_textsearch) served on 127.0.0.1
 * over the Postgres wire protocol, so the real `pg` client and {@link PostgresDriver} can talk to it.
 *
 * PGlite is ONE backend session. `@electric-sql/pglite-socket` multiplexes connections onto it one
 * protocol message at a time, which lets two connections interleave inside an extended-protocol
 * exchange (Parse/Bind/Execute/Sync) and corrupt each other's unnamed statements. This server instead
 * hands the session to one connection from its first message until the backend reports it idle
 * (`ReadyForQuery` with status `I`): whole transactions run one after another, so a pool of several
 * connections and several drivers behave like clients of a serialising Postgres. Because the session
 * is shared, `LISTEN` is tracked per connection here and `NotificationResponse` messages are routed to
 * the connections that listen on the channel. Session-level state (`SET`, session advisory locks,
 * named prepared statements) is shared by all connections; the driver only uses transaction-scoped state.
 *
 * The PGlite packages are dev dependencies, loaded on first call.
 *
 * @module
 */
import { createServer, type Server, type Socket } from "node:net";
import type { PGlite } from "@electric-sql/pglite";

/** A running server. */
export interface PgliteServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  url: string;
  /** Closes every client connection (as a network failure would); the database and the listener stay. */
  disconnectAll(): void;
  /** Closes every connection, the listener and the database. */
  stop(): Promise<void>;
}

/** Options of {@link startPgliteServer}. */
export interface PgliteServerOptions {
  /** A data directory to persist to. @default in memory */
  dataDir?: string;
  /** Port on 127.0.0.1. @default 0 (any free port) */
  port?: number;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

/** Splits a buffer of complete backend messages into messages. */
function splitMessages(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i + 5 <= b.length; ) {
    const len = b.readInt32BE(i + 1);
    if (len < 4) throw new Error("malformed backend message");
    out.push(b.subarray(i, i + 1 + len));
    i += 1 + len;
  }
  return out;
}

/** The channel named in a NotificationResponse (`A`) message. */
function notificationChannel(msg: Buffer): string {
  const start = 9;
  return msg.toString("utf8", start, msg.indexOf(0, start));
}

const LISTEN = /^\s*(UN)?LISTEN\s+(?:"([^"]+)"|([A-Za-z_][A-Za-z0-9_$]*)|(\*))\s*;?\s*$/i;

/** A simple `ReadyForQuery` + `CommandComplete` answer (used for UNLISTENs kept local). */
function commandComplete(tag: string): Buffer {
  const text = Buffer.from(`${tag}\0`);
  const c = Buffer.alloc(5 + text.length);
  c[0] = 0x43;
  c.writeInt32BE(4 + text.length, 1);
  text.copy(c, 5);
  return Buffer.concat([c, Buffer.from([0x5a, 0, 0, 0, 5, 0x49])]);
}

class Session {
  #owner: Connection | null = null;
  readonly #waiters: { conn: Connection; resolve: () => void }[] = [];
  readonly connections = new Set<Connection>();

  constructor(readonly db: PGlite) {}

  async acquire(conn: Connection): Promise<void> {
    if (this.#owner === conn) return;
    if (this.#owner === null) {
      this.#owner = conn;
      return;
    }
    await new Promise<void>((resolve) => this.#waiters.push({ conn, resolve }));
  }

  release(conn: Connection): void {
    if (this.#owner !== conn) return;
    const next = this.#waiters.shift();
    this.#owner = next?.conn ?? null;
    next?.resolve();
  }

  /** Drops a closing connection from the queue; rolls back and releases the session if it held it. */
  async abandon(conn: Connection): Promise<void> {
    const i = this.#waiters.findIndex((w) => w.conn === conn);
    if (i >= 0) this.#waiters.splice(i, 1);
    if (this.#owner !== conn) return;
    if (this.db.isInTransaction()) await this.db.exec("ROLLBACK").catch(() => undefined);
    this.release(conn);
  }

  /** Sends a notification to every connection listening on its channel. */
  route(msg: Buffer): void {
    const channel = notificationChannel(msg);
    for (const c of this.connections) if (c.channels.has(channel)) c.write(msg);
  }
}

class Connection {
  readonly channels = new Set<string>();
  #buf: Buffer = Buffer.alloc(0);
  #started = false;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(
    readonly socket: Socket,
    readonly session: Session,
  ) {
    socket.setNoDelay(true);
    socket.on("data", (d: Buffer) => this.#onData(d));
    socket.on("error", () => this.close());
    socket.on("close", () => this.close());
  }

  write(b: Buffer): void {
    if (!this.#closed && this.socket.writable) this.socket.write(b);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.session.connections.delete(this);
    this.#chain = this.#chain.then(() => this.session.abandon(this));
    this.socket.destroy();
  }

  #onData(d: Buffer): void {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, d]) : d;
    for (;;) {
      const msg = this.#next();
      if (!msg) break;
      this.#chain = this.#chain.then(() => this.#handle(msg)).catch(() => this.close());
    }
  }

  /** The next complete frontend message, or null. */
  #next(): Buffer | null {
    const b = this.#buf;
    if (!this.#started) {
      if (b.length < 8) return null;
      const len = b.readInt32BE(0);
      if (b.length < len) return null;
      this.#buf = b.subarray(len);
      return b.subarray(0, len);
    }
    if (b.length < 5) return null;
    const len = 1 + b.readInt32BE(1);
    if (b.length < len) return null;
    this.#buf = b.subarray(len);
    return b.subarray(0, len);
  }

  async #handle(msg: Buffer): Promise<void> {
    if (this.#closed) return;
    if (!this.#started) {
      const code = msg.readInt32BE(4);
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) return this.write(Buffer.from("N"));
      if (code === CANCEL_REQUEST) return this.close();
      if (code !== PROTOCOL_3) return this.close();
      this.#started = true;
      return this.#exec(msg);
    }
    const type = msg[0];
    if (type === 0x58) return this.close(); // Terminate
    if (type === 0x51) {
      // Simple query: track LISTEN / UNLISTEN per connection.
      const sql = msg.toString("utf8", 5, msg.length - 1);
      const m = LISTEN.exec(sql);
      if (m) {
        const channel = m[2] ?? m[3] ?? "*";
        if (!m[1]) this.channels.add(channel);
        else {
          // Answered here: the shared backend keeps listening for the other connections.
          if (channel === "*") this.channels.clear();
          else this.channels.delete(channel);
          return this.write(commandComplete("UNLISTEN"));
        }
      }
    }
    return this.#exec(msg);
  }

  async #exec(msg: Buffer): Promise<void> {
    await this.session.acquire(this);
    const chunks: Buffer[] = [];
    let idle = false;
    try {
      await this.session.db.execProtocolRawStream(new Uint8Array(msg), {
        onRawData: (data: Uint8Array) => {
          chunks.push(Buffer.from(data));
        },
      });
    } finally {
      const out: Buffer[] = [];
      // Chunks may split messages: parse the whole response.
      for (const m of splitMessages(Buffer.concat(chunks))) {
        if (m[0] === 0x41) {
          this.session.route(Buffer.from(m));
          continue;
        }
        if (m[0] === 0x5a) idle = m[5] === 0x49;
        out.push(m);
      }
      if (out.length) this.write(Buffer.concat(out));
      if (idle) this.session.release(this);
    }
  }
}

/**
 * Starts PGlite with the `vector` and `pg_textsearch` extensions (not yet created in the database:
 * `CREATE EXTENSION` is up to the client) and serves it on 127.0.0.1.
 *
 * @example
 * ```ts
 * const pg = await startPgliteServer();
 * const driver = new PostgresDriver({ connectionString: pg.url, schema: "t1" });
 * // …
 * await driver.close();
 * await pg.stop();
 * ```
 */
export async function startPgliteServer(opts: PgliteServerOptions = {}): Promise<PgliteServer> {
  const [{ PGlite }, { vector }, { pg_textsearch }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("@electric-sql/pglite-pgvector"),
    import("@electric-sql/pglite-pg_textsearch"),
  ]);
  const db = await PGlite.create({
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    extensions: { vector, pg_textsearch },
  });
  const session = new Session(db);
  const server: Server = createServer((socket) => {
    session.connections.add(new Connection(socket, session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address !== "object") throw new Error("the server has no address");
  return {
    url: `postgres://postgres@127.0.0.1:${address.port}/postgres`,
    disconnectAll() {
      for (const c of [...session.connections]) c.close();
    },
    async stop() {
      for (const c of [...session.connections]) c.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close();
    },
  };
}
