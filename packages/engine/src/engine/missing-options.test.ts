import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LociError } from "../errors.js";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";

let env: TempEngine;
beforeEach(async () => {
  env = await openTempEngine();
});
afterEach(async () => env.cleanup());

/** The code and field of the error `p` rejects with (it must be a typed LociError). */
async function failure(p: Promise<unknown>): Promise<{ code: string; field: unknown }> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!LociError.isInstance(err)) throw new Error(`expected a LociError, got ${String(err)}`);
  return { code: err.code, field: (err.details as { field?: unknown } | undefined)?.field };
}

describe("calls without their options object fail with a typed error", () => {
  it("graph reads, events.subscribe, namespace.list and sweepExpired", async () => {
    // biome-ignore lint/suspicious/noExplicitAny: calling the API the way untyped (JS, HTTP) callers can
    const loci = env.loci as any;
    await loci.memory.add({ namespace: "n", content: "alpha" });
    const calls: [string, () => Promise<unknown>][] = [
      ["traverse", () => loci.knowledgeGraph.traverse(undefined)],
      ["neighbors", () => loci.knowledgeGraph.neighbors(undefined)],
      ["shortestPath", () => loci.knowledgeGraph.shortestPath(null)],
      ["subscribe", () => loci.events.subscribe(undefined, () => undefined)],
    ];
    for (const [name, call] of calls) {
      const { code } = await failure(call());
      expect([name, code]).toEqual([name, expect.stringMatching(/^INVALID_(NAMESPACE|ARGUMENT)$/)]);
    }
    // Where every option is optional, null means the defaults.
    expect((await loci.namespace.list(null)).items.map((n: { name: string }) => n.name)).toEqual(["n"]);
    expect(await loci.sweepExpired(null)).toBe(0);
  });

  it("recall names topK, the option the caller gave, when it is out of range", async () => {
    await env.loci.memory.add({ namespace: "n", content: "alpha" });
    expect(await failure(env.loci.memory.recall({ namespace: "n", query: "alpha", topK: 0 }))).toEqual({
      code: "INVALID_ARGUMENT",
      field: "topK",
    });
    const hits = await env.loci.memory.recall({ namespace: "n", query: "alpha", topK: 1 });
    expect(hits).toHaveLength(1);
  });
});
