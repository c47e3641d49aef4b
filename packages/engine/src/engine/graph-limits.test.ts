import { afterEach, describe, expect, it } from "vitest";
import { LociError } from "../errors.js";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";

let env: TempEngine;
afterEach(async () => env?.cleanup());

const ns = "kg";
const alice = { type: "person", name: "Alice" };
const acme = { type: "company", name: "Acme" };

async function codeOf(p: Promise<unknown>): Promise<string | null> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (err === null) return null;
  if (!LociError.isInstance(err)) throw new Error(`expected a LociError, got ${String(err)}`);
  return err.code;
}

describe("graph metadata honours limits.metadataBytes", () => {
  it("rejects edge metadata and entity properties over a lowered limit, before writing", async () => {
    env = await openTempEngine({ limits: { metadataBytes: 64 } });
    const big = { note: "x".repeat(100) };
    const kg = env.loci.knowledgeGraph;
    expect(
      await codeOf(
        kg.addEdge({ namespace: ns, source: alice, target: acme, edgeType: "works_at", metadata: big }),
      ),
    ).toBe("PAYLOAD_TOO_LARGE");
    expect(
      await codeOf(
        kg.addEdges({
          namespace: ns,
          edges: [{ source: alice, target: acme, edgeType: "works_at", metadata: big }],
        }),
      ),
    ).toBe("PAYLOAD_TOO_LARGE");
    expect(await codeOf(kg.upsertEntity({ namespace: ns, entity: alice, properties: big }))).toBe(
      "PAYLOAD_TOO_LARGE",
    );
    const data = {
      version: 1 as const,
      entities: [
        {
          ...alice,
          properties: big,
          createdAt: "2026-01-01T00:00:00.000Z",
          updatedAt: "2026-01-01T00:00:00.000Z",
        },
      ],
      edges: [],
    };
    expect(await codeOf(kg.import({ namespace: ns, data }))).toBe("PAYLOAD_TOO_LARGE");
    // Nothing was written (not even the namespace a graph write creates on first use).
    expect(await codeOf(kg.export({ namespace: ns }))).toBe("NAMESPACE_NOT_FOUND");
  });

  it("accepts edge metadata and entity properties under a raised limit", async () => {
    env = await openTempEngine({ limits: { metadataBytes: 200_000 } });
    const big = { note: "x".repeat(100_000) };
    const kg = env.loci.knowledgeGraph;
    const edge = await kg.addEdge({
      namespace: ns,
      source: alice,
      target: acme,
      edgeType: "works_at",
      metadata: big,
    });
    expect(edge.metadata).toStrictEqual(big);
    const entity = await kg.upsertEntity({ namespace: ns, entity: alice, properties: big });
    expect(entity.properties).toStrictEqual(big);
  });
});
