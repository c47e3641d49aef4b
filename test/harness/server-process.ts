/**
 * `loci serve` as a child process (the real CLI, through tsx from the sources), on 127.0.0.1 with the
 * deterministic hash embedder. The port is read from the server's JSON "loci server listening" log
 * line; restarts reuse it, so clients retrying across a crash reach the new process.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const tsx = require.resolve("tsx");
const MAIN = join(import.meta.dirname, "..", "..", "packages", "server", "src", "cli", "main.ts");

/** The root key every reliability server uses. */
export const ROOT_KEY = "reliability-root-key-0123456789abcdef";

/** Options of {@link ServerProcess.start}. */
export interface ServerProcessOptions {
  dataDir: string;
  /** `--storage` (e.g. a `postgres://` URL). @default SQLite in the data directory */
  storage?: string;
  /** Extra environment (e.g. `LOCI_MASTER_KEY`). */
  env?: Record<string, string>;
  /** How long to wait for the listening line. @default 30000 */
  startTimeoutMs?: number;
}

/** Why a start failed: the exit code and what the server printed on stderr. */
export class ServerStartError extends Error {
  constructor(
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`loci serve exited (${exitCode}) before listening: ${stderr.trim().slice(-2000)}`);
  }
}

/** A `loci serve` child that can be killed and restarted on the same port. */
export class ServerProcess {
  readonly dataDir: string;
  readonly #storage: string | undefined;
  readonly #env: Record<string, string>;
  readonly #timeout: number;
  #child: ChildProcess | null = null;
  #port = 0;
  /** Number of successful starts. */
  starts = 0;
  /** Everything the current process wrote on stderr. */
  stderr = "";

  private constructor(opts: ServerProcessOptions) {
    this.dataDir = opts.dataDir;
    this.#storage = opts.storage;
    this.#env = opts.env ?? {};
    this.#timeout = opts.startTimeoutMs ?? 30_000;
  }

  /** Starts a server on a free port (chosen by the server: `--port 0`). */
  static async start(opts: ServerProcessOptions): Promise<ServerProcess> {
    const p = new ServerProcess(opts);
    await p.restart();
    return p;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** (Re)starts the server on the port of the first start; resolves once it listens. */
  restart(): Promise<void> {
    if (this.#child) throw new Error("the server is still running");
    const child = spawn(
      process.execPath,
      [
        "--conditions=loci-source",
        "--import",
        tsx,
        MAIN,
        "serve",
        "--port",
        String(this.#port),
        "--data-dir",
        this.dataDir,
        "--embedder",
        "hash",
        ...(this.#storage ? ["--storage", this.#storage] : []),
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          ...process.env,
          LOCI_ROOT_KEY: ROOT_KEY,
          LOCI_RATE_LIMIT: "0",
          LOCI_LOG_LEVEL: "info",
          ...this.#env,
        },
      },
    );
    this.#child = child;
    this.stderr = "";
    child.stderr!.on("data", (d: Buffer) => {
      this.stderr += d.toString();
    });
    return new Promise<void>((resolve, reject) => {
      let buffer = "";
      let listening = false;
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`loci serve did not listen within ${this.#timeout} ms: ${this.stderr}`));
      }, this.#timeout);
      child.stdout!.on("data", (chunk: Buffer) => {
        if (listening) return; // keep draining the pipe (request logs) without parsing it
        buffer += chunk.toString();
        const lines = buffer.split("\n");
        buffer = lines.pop()!;
        for (const line of lines) {
          if (!line.startsWith("{")) continue;
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          if (entry.msg !== "loci server listening" || !entry.url) continue;
          listening = true;
          clearTimeout(timer);
          this.#port = Number(new URL(entry.url).port);
          this.starts++;
          resolve();
          return;
        }
      });
      child.once("exit", (code) => {
        if (this.#child === child) this.#child = null;
        if (!listening) {
          clearTimeout(timer);
          reject(new ServerStartError(code, this.stderr));
        }
      });
    });
  }

  /** Kills the server with SIGKILL (no shutdown of any kind) and waits for it to be gone. */
  kill(): Promise<void> {
    return this.#signal("SIGKILL");
  }

  /** Stops the server gracefully (SIGTERM). */
  stop(): Promise<void> {
    return this.#signal("SIGTERM");
  }

  #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child) return Promise.resolve();
    return new Promise((resolve) => {
      child.once("exit", () => resolve());
      child.kill(signal);
    });
  }
}
