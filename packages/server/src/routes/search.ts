/** Search routes: `POST /v1/namespaces/{ns}/search` and `POST /v1/search` (several namespaces). */
import { createRoute } from "@hono/zod-openapi";
import { wire } from "@loci/client";
import { ValidationError } from "@loci/engine";
import { errorResponses, json, type LociApp, type RouteContext, requireNamespace } from "../context.js";
import { MultiSearchSchema, NsParam, SearchResultsSchema, SearchSchema } from "../schemas.js";

const tags = ["search"];
const security = [{ bearer: [] }];

export function registerSearchRoutes(app: LociApp, ctx: RouteContext): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/namespaces/{ns}/search",
      tags,
      security,
      summary: "Hybrid search in one namespace",
      request: {
        params: NsParam,
        body: { content: { "application/json": { schema: SearchSchema } }, required: true },
      },
      responses: {
        200: json(SearchResultsSchema, "Results, best first, with score breakdowns"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { ns } = c.req.valid("param");
      requireNamespace(c, ns, "read");
      const results = await (await ctx.engine(c)).memory.search({
        ...wire.searchFromWire(c.req.valid("json")),
        namespace: ns,
      });
      return c.json({ results: results.map(wire.resultToWire) } as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/search",
      tags,
      security,
      summary: "Search several namespaces at once (merged by score)",
      request: { body: { content: { "application/json": { schema: MultiSearchSchema } }, required: true } },
      responses: {
        200: json(SearchResultsSchema, "Results, best first, each naming its namespace"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      if (body.namespaces.length === 0 || body.namespaces.length > 64) {
        throw new ValidationError({
          message: "namespaces must list 1-64 namespaces",
          details: { field: "namespaces" },
        });
      }
      for (const ns of body.namespaces) requireNamespace(c, ns, "read");
      const results = await (await ctx.engine(c)).memory.search(wire.searchFromWire(body));
      return c.json({ results: results.map(wire.resultToWire) } as never, 200);
    },
  );
}
