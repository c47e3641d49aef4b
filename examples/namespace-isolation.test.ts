import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { example } from "./namespace-isolation.js";

let dataDir: string | undefined;
afterEach(() => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

describe("namespace-isolation example", () => {
  it("billing sees only its own and the shared namespace, and only cust_42", async () => {
    dataDir = mkdtempSync(join(tmpdir(), "loci-ex-isolation-"));
    const lines: string[] = [];
    const result = await example.run({ dataDir, log: (l) => lines.push(l) });

    expect(result.searched).toEqual(["billing", "customer-context"]);
    // Every cust_42 note billing may read: 1 private + 2 shared.
    expect(result.billingHits).toHaveLength(3);
    for (const hit of result.billingHits) {
      expect(["billing", "customer-context"]).toContain(hit.namespace);
      expect(hit.customerId).toBe("cust_42");
    }
    expect(result.billingHits.some((h) => h.namespace === "billing")).toBe(true);
    expect(result.billingHits.some((h) => h.namespace === "customer-context")).toBe(true);
    // The two best answers: why (the root cause technical shared) and what was done (billing's refund).
    const [first, second] = result.billingHits;
    expect([first!.namespace, second!.namespace].sort()).toEqual(["billing", "customer-context"]);
    const rootCause = [first!, second!].find((h) => h.namespace === "customer-context")!;
    expect(rootCause.agentId).toBe("technical");
    expect(rootCause.content).toContain("retry bug");
    // Triage's and technical's private notes are relevant (triage finds its own) but never reach billing.
    expect(result.triageOwnHits).toBeGreaterThan(0);
    expect(result.otherAgentsPrivateIds).toHaveLength(3);
    const hitIds = new Set(result.billingHits.map((h) => h.id));
    for (const id of result.otherAgentsPrivateIds) expect(hitIds.has(id)).toBe(false);
    // The filter is what keeps cust_7 out.
    expect(result.unfilteredOtherCustomerHits).toBeGreaterThan(0);

    const text = lines.join("\n");
    expect(text).toContain("billing searched billing + customer-context for cust_42: 3 hits");
    expect(text).toContain("[customer-context, written by technical]");
    expect(text).toContain(
      "private notes of triage/technical in billing's results: 0; other customers' data: 0",
    );
  });
});
