/** `GET /health` and `GET /metrics` (Prometheus). */
import { createRoute, z } from "@hono/zod-openapi";
import { json, type LociApp, type RouteContext } from "../context.js";

export function registerSystemRoutes(app: LociApp, ctx: RouteContext): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/health",
      tags: ["system"],
      summary: "Liveness",
      responses: {
        200: json(z.object({ status: z.literal("ok"), version: z.string() }), "The server is up"),
      },
    }),
    (c) => c.json({ status: "ok" as const, version: "0.1.0" }, 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/metrics",
      tags: ["system"],
      summary: "Prometheus metrics (route templates only; no tenant data)",
      responses: {
        200: { description: "Prometheus text format", content: { "text/plain": { schema: z.string() } } },
      },
    }),
    async (c) => {
      const cache = (await ctx.tenants?.embeddingCache()) ?? { hits: 0, misses: 0 };
      const gauges = {
        loci_open_namespaces: (await ctx.tenants?.openNamespaces()) ?? 0,
        loci_index_pending_vectors: (await ctx.tenants?.indexBacklog()) ?? 0,
        loci_sentence_backfill_pending: (await ctx.tenants?.sentenceBackfillBacklog()) ?? 0,
        loci_graph_rebuild_pending: (await ctx.tenants?.graphRebuildBacklog()) ?? 0,
        loci_checkpoint_failures_total: ctx.tenants?.checkpointFailures() ?? 0,
        loci_background_failures_total: ctx.tenants?.backgroundFailures() ?? 0,
        loci_embedding_cache_hits_total: cache.hits,
        loci_embedding_cache_misses_total: cache.misses,
      };
      return c.text(ctx.metrics.render(gauges), 200, { "content-type": "text/plain; version=0.0.4" });
    },
  );
}
