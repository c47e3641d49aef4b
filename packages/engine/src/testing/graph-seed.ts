/**
 * Test fixture: the seed's knowledge-graph chain
 * `Alice Chen -works_at-> Acme Corp -considering-> Enterprise Plan Q2`.
 *
 * @module
 */
import type { MemoryClient } from "../types.js";

export const SEED_NAMESPACE = "crm";
export const alice = { type: "person", name: "Alice Chen" };
export const acme = { type: "company", name: "Acme Corp" };
export const plan = { type: "product", name: "Enterprise Plan Q2" };
export const bob = { type: "person", name: "Bob Ray" };

/** Adds the seed chain to a namespace (`crm` unless given). */
export async function seedChain(client: MemoryClient, namespace = SEED_NAMESPACE): Promise<void> {
  const kg = client.knowledgeGraph;
  await kg.addEdge({ namespace, source: alice, target: acme, edgeType: "works_at" });
  await kg.addEdge({
    namespace,
    source: acme,
    target: plan,
    edgeType: "considering",
    metadata: { discovered_by: "researcher", confidence: 0.82 },
  });
}
