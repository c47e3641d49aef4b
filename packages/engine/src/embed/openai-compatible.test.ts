import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { EmbedderError, LociError } from "../errors.js";
import { runEmbedderSuite } from "./embedder.case.js";
import { HashEmbedder } from "./hash.js";
import { OpenAICompatibleEmbedder, type OpenAICompatibleEmbedderOptions } from "./openai-compatible.js";

const DIM = 128;
const KEY = "sk-test-SECRET-0123456789";

/** A scripted reply that replaces the normal one for a single request. */
type Override =
  | { status: number; headers?: Record<string, string>; body: unknown }
  | { hangMs: number }
  | { destroy: true }
  | { vectors: (input: string[]) => unknown[] };

const hash = new HashEmbedder({ dimensions: DIM });
const requests: {
  headers: IncomingHttpHeaders;
  body: { model: string; input: string[]; dimensions?: number };
}[] = [];
const script: Override[] = [];

/** A seeded Fisher-Yates shuffle (reversing when it happens to keep the order), so `data` is never in index order. */
const shuffle = <T>(items: T[]): T[] => {
  const out = [...items];
  let seed = 42;
  for (let i = out.length - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out.every((x, i) => x === items[i]) ? out.reverse() : out;
};

const server = createServer((req, res) => {
  let raw = "";
  req.on("data", (chunk) => {
    raw += chunk;
  });
  req.on("end", () => {
    if (req.method !== "POST" || req.url !== "/v1/embeddings") {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.parse(raw) as (typeof requests)[number]["body"];
    requests.push({ headers: req.headers, body });
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) =>
      res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(payload));
    const override = script.shift();
    if (override && "destroy" in override) {
      req.socket.destroy();
      return;
    }
    if (override && "hangMs" in override) {
      setTimeout(() => send(500, { error: { message: "too late" } }), override.hangMs);
      return;
    }
    if (override && "status" in override) {
      send(override.status, override.body, override.headers);
      return;
    }
    const vectors = override
      ? override.vectors(body.input)
      : body.input.map((t) => Array.from(hash.embedOne(t)));
    const data = vectors.map((embedding, index) => ({ object: "embedding", index, embedding }));
    send(200, {
      object: "list",
      model: body.model,
      data: shuffle(data),
      usage: { prompt_tokens: 1, total_tokens: 1 },
    });
  });
});
const ready = new Promise<string>((resolve) => {
  server.listen(0, "127.0.0.1", () =>
    resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`),
  );
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const make = async (extra: Partial<OpenAICompatibleEmbedderOptions> = {}) =>
  new OpenAICompatibleEmbedder({
    baseUrl: await ready,
    model: "hash-test",
    dimensions: DIM,
    apiKey: KEY,
    retryDelayMs: 1,
    ...extra,
  });

const maxDiff = (a: Float32Array, b: Float32Array) => Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));

const failure = async (promise: Promise<unknown>): Promise<EmbedderError> => {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EmbedderError);
  return err as EmbedderError;
};

runEmbedderSuite({ name: "OpenAICompatibleEmbedder (local server)", create: () => make({ batchSize: 16 }) });

describe("OpenAICompatibleEmbedder", () => {
  beforeEach(() => {
    requests.length = 0;
    script.length = 0;
  });

  it("matches the server's vectors, sorted by index, with a safe id", async () => {
    const embedder = await make();
    expect(embedder.id).toBe("openai:hash-test@128");
    const texts = ["alpha", "beta gamma", "delta", "epsilon zeta eta", "theta"];
    const vectors = await embedder.embed(texts);
    for (const [i, t] of texts.entries()) expect(maxDiff(vectors[i]!, hash.embedOne(t))).toBeLessThan(1e-6);
  });

  it("sends the model, Bearer auth, custom headers, and ' ' for empty strings", async () => {
    const embedder = await make({ headers: { "x-team": "loci" } });
    await embedder.embed(["", "hi"]);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(requests[0]!.headers["x-team"]).toBe("loci");
    expect(requests[0]!.body).toEqual({ model: "hash-test", input: [" ", "hi"] });
    const anonymous = await make({ apiKey: undefined });
    await anonymous.embed(["x"]);
    expect(requests[1]!.headers.authorization).toBeUndefined();
  });

  it("sends dimensions only when asked", async () => {
    await (await make({ sendDimensions: true })).embed(["x"]);
    expect(requests[0]!.body.dimensions).toBe(DIM);
  });

  it("retries a 429, honouring Retry-After", async () => {
    script.push({ status: 429, headers: { "retry-after": "1" }, body: { error: { message: "slow down" } } });
    const start = Date.now();
    const vectors = await (await make()).embed(["rate limited"]);
    expect(vectors).toHaveLength(1);
    expect(requests).toHaveLength(2);
    expect(Date.now() - start).toBeGreaterThanOrEqual(900);
  });

  it("retries 5xx responses and network errors", async () => {
    script.push({ status: 500, body: { error: { message: "oops" } } }, { status: 503, body: "unavailable" });
    await expect((await make()).embed(["x"])).resolves.toHaveLength(1);
    expect(requests).toHaveLength(3);
    requests.length = 0;
    script.push({ destroy: true });
    await expect((await make()).embed(["x"])).resolves.toHaveLength(1);
    expect(requests).toHaveLength(2);
  });

  it("gives up after maxRetries", async () => {
    script.push(
      ...Array.from({ length: 3 }, () => ({ status: 502, body: { error: { message: "bad gateway" } } })),
    );
    const err = await failure((await make({ maxRetries: 2 })).embed(["x"]));
    expect(requests).toHaveLength(3);
    expect(err.message).toMatch(/HTTP 502: bad gateway.*3 attempts/);
    expect(err.details).toMatchObject({ status: 502, attempts: 3 });
  });

  it("does not retry a 400, and never leaks the key", async () => {
    script.push({ status: 400, body: { error: { message: `Invalid input for key ${KEY}` } } });
    const err = await failure((await make()).embed(["x"]));
    expect(requests).toHaveLength(1);
    expect(err.code).toBe("EMBEDDER_FAILED");
    expect(LociError.isInstance(err) && err.status).toBe(502);
    expect(err.message).toContain("HTTP 400");
    expect(err.message).toContain("Invalid input");
    expect(err.message).not.toContain(KEY);
    expect(JSON.stringify(err.toJSON())).not.toContain(KEY);
  });

  it("rejects vectors of the wrong dimension, non-finite values and bad shapes", async () => {
    script.push({ vectors: (input) => input.map(() => new Array(DIM - 1).fill(0.1)) });
    expect((await failure((await make()).embed(["x"]))).message).toMatch(/127 dimensions, expected 128/);
    script.push({ vectors: (input) => input.map(() => [...new Array(DIM - 1).fill(0.1), "NaN"]) });
    expect((await failure((await make()).embed(["x"]))).message).toMatch(/non-finite/);
    script.push({ vectors: () => [] });
    expect((await failure((await make()).embed(["x"]))).message).toMatch(/0 embeddings for 1 inputs/);
    script.push({ status: 200, body: { object: "list" } });
    expect((await failure((await make()).embed(["x"]))).message).toMatch(/no "data" array/);
    expect(requests).toHaveLength(4); // malformed successes are not retried
  });

  it("times out a hanging request", async () => {
    script.push({ hangMs: 2_000 }, { hangMs: 2_000 });
    const err = await failure((await make({ timeoutMs: 150, maxRetries: 1 })).embed(["x"]));
    expect(err.message).toMatch(/timed out after 150 ms/);
    expect(requests).toHaveLength(2);
  });

  it("respects the caller's AbortSignal", async () => {
    const embedder = await make();
    await expect(embedder.embed(["x"], { signal: AbortSignal.abort() })).rejects.toThrow();
    expect(requests).toHaveLength(0);
    script.push({ hangMs: 2_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const err = await embedder.embed(["x"], { signal: controller.signal }).catch((e: unknown) => e);
    expect((err as Error).name).toBe("AbortError");
    expect(requests).toHaveLength(1); // not retried
  });

  it("splits large inputs into batches of batchSize, in order", async () => {
    const texts = Array.from({ length: 150 }, (_, i) => `text number ${i}`);
    const vectors = await (await make({ batchSize: 40 })).embed(texts);
    expect(requests.map((r) => r.body.input.length)).toEqual([40, 40, 40, 30]);
    expect(maxDiff(vectors[149]!, hash.embedOne(texts[149]!))).toBeLessThan(1e-6);
  });

  it("uses a custom fetch and explains connection failures", async () => {
    let calls = 0;
    const custom: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    await (await make({ fetch: custom })).embed(["x"]);
    expect(calls).toBe(1);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const baseUrl = `http://127.0.0.1:${port}/v1`;
    const refused = new OpenAICompatibleEmbedder({ baseUrl, model: "m", dimensions: 8, maxRetries: 0 });
    expect((await failure(refused.embed(["x"]))).message).toMatch(
      /network error: fetch failed \(.*ECONNREFUSED/,
    );
  });

  it("validates its options", async () => {
    const baseUrl = await ready;
    const bad: Partial<OpenAICompatibleEmbedderOptions>[] = [
      { baseUrl: "not a url", model: "m", dimensions: 8 },
      { baseUrl: "ftp://host/v1", model: "m", dimensions: 8 },
      { baseUrl, model: "", dimensions: 8 },
      { baseUrl, model: "m" },
      { baseUrl, model: "m", dimensions: 0 },
      { baseUrl, model: "m", dimensions: 8, batchSize: 0 },
      { baseUrl, model: "m", dimensions: 8, maxRetries: -1 },
      { baseUrl, model: "m", dimensions: 8, timeoutMs: 1.5 },
    ];
    for (const options of bad) {
      expect(
        () => new OpenAICompatibleEmbedder(options as OpenAICompatibleEmbedderOptions),
        JSON.stringify(options),
      ).toThrow(/OpenAICompatibleEmbedder/);
    }
  });
});
