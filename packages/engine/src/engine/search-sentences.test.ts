import { afterEach, describe, expect, it } from "vitest";
import { HashEmbedder } from "../embed/hash.js";
import { LociError } from "../errors.js";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";
import { cosine } from "../util/vectors.js";

let env: TempEngine;
afterEach(async () => env?.cleanup());

const embedder = new HashEmbedder({ dimensions: 256 });
const embed = async (text: string) => (await embedder.embed([text]))[0]!;
const query = "which espresso grinder did Kim order";
/** The answer is one sentence of a long memory; the rest of it is about other things. */
const LONG =
  "Kim: The offsite agenda is finally done. Flights to Lisbon are booked for everyone. " +
  "The hotel has a rooftop pool and a gym. I ordered the espresso grinder from the kitchen list. " +
  "Marketing wants the slides by Friday. Legal still reviews the vendor contract.";
const DISTRACTORS = [
  "Kim: the espresso machine is loud",
  "Kim: which espresso beans did we order",
  "Kim: espresso machines in the office kitchen need descaling",
  "Kim: the kitchen list has cups, plates and a new kettle",
];

async function seed(sentenceVectors: boolean) {
  const ns = sentenceVectors ? "with" : "without";
  await env.loci.namespace.create({ name: ns, config: { sentenceVectors } });
  await env.loci.memory.addMany({ namespace: ns, memories: DISTRACTORS.map((content) => ({ content })) });
  const long = await env.loci.memory.add({ namespace: ns, content: LONG });
  return { ns, long };
}

describe("sentence vectors", () => {
  it("scores a long memory by its best sentence, so the one answering sentence ranks it first", async () => {
    env = await openTempEngine({ embedder });
    const plain = await seed(false);
    const withS = await seed(true);
    const q = await embed(query);
    const best = cosine(q, await embed("Kim: I ordered the espresso grinder from the kitchen list."));
    const whole = cosine(q, await embed(LONG));
    expect(best).toBeGreaterThan(whole);

    const before = await env.loci.memory.search({ namespace: plain.ns, query, mode: "vector", limit: 5 });
    expect(before[0]!.memory.id).not.toBe(plain.long.id);
    expect(before.find((h) => h.memory.id === plain.long.id)!.scores.vector).toBeCloseTo(whole, 5);

    for (const mode of ["vector", "hybrid"] as const) {
      const hits = await env.loci.memory.search({ namespace: withS.ns, query, mode, limit: 5 });
      expect(hits[0]!.memory.id, mode).toBe(withS.long.id);
      expect(hits[0]!.scores.vector).toBeCloseTo(best, 5);
      // Memories of one sentence keep their whole-text score.
      for (const h of hits.slice(1))
        expect(h.scores.vector).toBeCloseTo(cosine(q, await embed(h.memory.content)), 5);
    }
    // Asking for one hit still rescores more than the ANN's best whole-text match.
    const one = await env.loci.memory.search({ namespace: withS.ns, query, mode: "vector", limit: 1 });
    expect(one.map((h) => h.memory.id)).toEqual([withS.long.id]);
    const ns = await env.loci.namespace.get({ namespace: withS.ns });
    expect(ns.config.sentenceVectors).toBe(true);
    expect((await env.loci.namespace.get({ namespace: plain.ns })).config.sentenceVectors).toBe(false);
  });

  it("keeps them across reopen, replaces them when the content changes and drops them with the memory", async () => {
    env = await openTempEngine({ embedder });
    const { ns, long } = await seed(true);
    await env.reopen();
    const top = async () =>
      (await env.loci.memory.search({ namespace: ns, query, mode: "vector", limit: 5 }))[0]!;
    expect((await top()).memory.id).toBe(long.id);

    const edited = "Kim: The offsite agenda is done. Flights are booked. The hotel has a pool.";
    await env.loci.memory.update({ namespace: ns, id: long.id, content: edited });
    const q = await embed(query);
    const hit = (await env.loci.memory.search({ namespace: ns, query, mode: "vector", limit: 5 })).find(
      (h) => h.memory.id === long.id,
    );
    const sentences = ["The offsite agenda is done.", "Flights are booked.", "The hotel has a pool."];
    const expected = Math.max(
      cosine(q, await embed(edited)),
      ...(await Promise.all(sentences.map(async (s) => cosine(q, await embed(`Kim: ${s}`))))),
    );
    expect(hit?.scores.vector ?? 0).toBeCloseTo(Math.max(0, expected), 5);
    expect((await top()).memory.id).not.toBe(long.id);

    // A caller-provided embedding: the engine embeds no sentences for it.
    const own = await env.loci.memory.add({
      namespace: ns,
      content: LONG,
      embedding: await embed("unrelated"),
    });
    const ownHit = (await env.loci.memory.search({ namespace: ns, query, mode: "vector", limit: 10 })).find(
      (h) => h.memory.id === own.id,
    );
    expect(ownHit?.scores.vector ?? 0).toBeCloseTo(Math.max(0, cosine(q, await embed("unrelated"))), 5);
    expect(await env.loci.memory.delete({ namespace: ns, id: own.id })).toBe(true);
  });

  it("rejects a non-boolean setting with a typed error", async () => {
    env = await openTempEngine({ embedder });
    const err = await env.loci.namespace
      .create({ name: "bad", config: { sentenceVectors: "yes" as unknown as boolean } })
      .catch((e: unknown) => e);
    expect(LociError.isInstance(err)).toBe(true);
    expect((err as LociError).code).toBe("INVALID_ARGUMENT");
  });
});
