/** Memory routes: add, batch, list, get, update, delete. */
import { createRoute, z } from "@hono/zod-openapi";
import { wire } from "@loci/client";
import { FilterError, type MemoryInput, NotFoundError } from "@loci/engine";
import { errorResponses, json, type LociApp, type RouteContext, requireNamespace } from "../context.js";
import {
  IdParam,
  MemoryBatchSchema,
  MemoryInputSchema,
  MemoryPatchSchema,
  MemorySchema,
  NsParam,
  PageQuery,
  pageOf,
} from "../schemas.js";

const tags = ["memories"];
const security = [{ bearer: [] }];

/** Parses a JSON-encoded filter from a query string. */
export function parseFilterParam(raw: string | undefined): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as Record<string, unknown>;
  } catch {
    throw new FilterError({ message: "filter must be a JSON-encoded object" });
  }
}

export function registerMemoryRoutes(app: LociApp, ctx: RouteContext): void {
  const input = (w: Record<string, unknown>) => wire.memoryInputFromWire(w) as MemoryInput;

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/namespaces/{ns}/memories",
      tags,
      security,
      summary: "Add a memory (creates the namespace on first use)",
      request: {
        params: NsParam,
        body: { content: { "application/json": { schema: MemoryInputSchema } }, required: true },
      },
      responses: { 201: json(MemorySchema, "The stored memory"), ...errorResponses },
    }),
    async (c) => {
      const { ns } = c.req.valid("param");
      requireNamespace(c, ns, "write");
      const memory = await (await ctx.engine(c)).memory.add({ namespace: ns, ...input(c.req.valid("json")) });
      return c.json(wire.memoryToWire(memory) as never, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/namespaces/{ns}/memories/batch",
      tags,
      security,
      summary: "Add up to 1,000 memories atomically",
      request: {
        params: NsParam,
        body: { content: { "application/json": { schema: MemoryBatchSchema } }, required: true },
      },
      responses: {
        201: json(z.object({ items: z.array(MemorySchema) }), "The stored memories"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { ns } = c.req.valid("param");
      requireNamespace(c, ns, "write");
      const memories = c.req.valid("json").memories.map((m) => input(m));
      const added = await (await ctx.engine(c)).memory.addMany({ namespace: ns, memories });
      return c.json({ items: added.map(wire.memoryToWire) } as never, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/namespaces/{ns}/memories",
      tags,
      security,
      summary: "List memories (insertion order), optionally by session and metadata filter",
      request: {
        params: NsParam,
        query: PageQuery.extend({
          session_id: z.string().optional(),
          filter: z.string().optional().openapi({ description: "JSON-encoded metadata filter" }),
        }),
      },
      responses: { 200: json(pageOf(MemorySchema, "MemoryPage"), "A page of memories"), ...errorResponses },
    }),
    async (c) => {
      const { ns } = c.req.valid("param");
      requireNamespace(c, ns, "read");
      const q = c.req.valid("query");
      const filter = parseFilterParam(q.filter);
      const page = await (await ctx.engine(c)).memory.list({
        namespace: ns,
        ...(q.session_id === undefined ? {} : { sessionId: q.session_id }),
        ...(filter === undefined ? {} : { filter }),
        ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
        ...(q.limit === undefined ? {} : { limit: q.limit }),
      });
      return c.json({ items: page.items.map(wire.memoryToWire), next_cursor: page.nextCursor } as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/namespaces/{ns}/memories/{id}",
      tags,
      security,
      summary: "Get a memory",
      request: { params: IdParam },
      responses: { 200: json(MemorySchema, "The memory"), ...errorResponses },
    }),
    async (c) => {
      const { ns, id } = c.req.valid("param");
      requireNamespace(c, ns, "read");
      return c.json(
        wire.memoryToWire(await (await ctx.engine(c)).memory.get({ namespace: ns, id })) as never,
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/v1/namespaces/{ns}/memories/{id}",
      tags,
      security,
      summary: "Update a memory (re-embeds when content changes)",
      request: {
        params: IdParam,
        body: { content: { "application/json": { schema: MemoryPatchSchema } }, required: true },
      },
      responses: { 200: json(MemorySchema, "The updated memory"), ...errorResponses },
    }),
    async (c) => {
      const { ns, id } = c.req.valid("param");
      requireNamespace(c, ns, "write");
      const patch = wire.memoryPatchFromWire(c.req.valid("json"));
      return c.json(
        wire.memoryToWire(
          await (await ctx.engine(c)).memory.update({ namespace: ns, id, ...patch }),
        ) as never,
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/namespaces/{ns}/memories/{id}",
      tags,
      security,
      summary: "Delete a memory",
      request: { params: IdParam },
      responses: { 204: { description: "Deleted" }, ...errorResponses },
    }),
    async (c) => {
      const { ns, id } = c.req.valid("param");
      requireNamespace(c, ns, "write");
      if (!(await (await ctx.engine(c)).memory.delete({ namespace: ns, id }))) {
        throw new NotFoundError({ code: "MEMORY_NOT_FOUND", message: `memory "${id}" not found in "${ns}"` });
      }
      return c.body(null, 204);
    },
  );
}
