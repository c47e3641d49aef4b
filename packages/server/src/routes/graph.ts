/** Knowledge-graph routes under `/v1/namespaces/{ns}/graph`. */

import { createRoute, z } from "@hono/zod-openapi";
import { graphWire as g } from "@loci/client";
import type { EdgeInput, GraphDirection } from "@loci/engine";
import type { Context } from "hono";
import {
  type Env,
  errorResponses,
  json,
  type LociApp,
  type RouteContext,
  requireNamespace,
} from "../context.js";
import { idempotencyKey, keyHeaders } from "../idempotency.js";
import {
  EdgeBatchSchema,
  EdgeInputSchema,
  EdgeRemoveSchema,
  EdgeSchema,
  EntityParam,
  EntityPutSchema,
  EntitySchema,
  GraphImportSchema,
  NsParam,
  ShortestPathSchema,
  TraversalSchema,
  TraverseSchema,
} from "../schemas.js";

const tags = ["knowledge graph"];
const security = [{ bearer: [] }];
const body = <T extends z.ZodType>(schema: T) => ({
  content: { "application/json": { schema } },
  required: true,
});

type EdgeWire = z.infer<typeof EdgeInputSchema>;
const edgeInput = (e: EdgeWire): EdgeInput => ({
  source: e.source,
  target: e.target,
  edgeType: e.edge_type,
  ...(e.metadata === undefined ? {} : { metadata: e.metadata as EdgeInput["metadata"] & object }),
});

export function registerGraphRoutes(app: LociApp, ctx: RouteContext): void {
  const kg = async (c: Context<Env>) => (await ctx.engine(c)).knowledgeGraph;

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/namespaces/{ns}/graph/edges",
      tags,
      security,
      summary: "Add an edge (creates missing entities; the same source, target and type merges metadata)",
      request: { params: NsParam, headers: keyHeaders, body: body(EdgeInputSchema) },
      responses: { 201: json(EdgeSchema, "The edge"), ...errorResponses },
    }),
    async (c) => {
      const { ns } = c.req.valid("param");
      requireNamespace(c, ns, "write");
      idempotencyKey(c); // only checked: an edge is keyed by (source, target, type), so a retry merges into it
      const edge = await (await kg(c)).addEdge({ namespace: ns, ...edgeInput(c.req.valid("json")) });
      return c.json(g.edgeToWire(edge) as never, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/namespaces/{ns}/graph/edges/batch",
      tags,
      security,
      summary: "Add up to 1,000 edges atomically",
      request: { params: NsParam, headers: keyHeaders, body: body(EdgeBatchSchema) },
      responses: { 201: json(z.object({ items: z.array(EdgeSchema) }), "The edges"), ...errorResponses },
    }),
    async (c) => {
      const { ns } = c.req.valid("param");
      requireNamespace(c, ns, "write");
      idempotencyKey(c);
      const edges = await (await kg(c)).addEdges({
        namespace: ns,
        edges: c.req.valid("json").edges.map(edgeInput),
      });
      return c.json({ items: edges.map(g.edgeToWire) } as never, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/namespaces/{ns}/graph/edges/remove",
      tags,
      security,
      summary: "Remove an edge",
      request: { params: NsParam, body: body(EdgeRemoveSchema) },
      responses: {
        200: json(z.object({ removed: z.boolean() }), "Whether an edge was removed"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { ns } = c.req.valid("param");
      requireNamespace(c, ns, "write");
      const b = c.req.valid("json");
      const removed = await (await kg(c)).removeEdge({
        namespace: ns,
        source: b.source,
        target: b.target,
        edgeType: b.edge_type,
      });
      return c.json({ removed }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/namespaces/{ns}/graph/traverse",
      tags,
      security,
      summary: "Breadth-first traversal with depths, edges and readable paths",
      request: { params: NsParam, body: body(TraverseSchema) },
      responses: { 200: json(TraversalSchema, "Nodes, edges and paths"), ...errorResponses },
    }),
    async (c) => {
      const { ns } = c.req.valid("param");
      requireNamespace(c, ns, "read");
      const b = c.req.valid("json");
      const result = await (await kg(c)).traverse({
        namespace: ns,
        start: b.start,
        ...(b.max_depth === undefined ? {} : { maxDepth: b.max_depth }),
        ...(b.edge_types === undefined ? {} : { edgeTypes: b.edge_types }),
        ...(b.direction === undefined ? {} : { direction: b.direction }),
        ...(b.limit === undefined ? {} : { limit: b.limit }),
      });
      return c.json(g.traversalToWire(result) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/namespaces/{ns}/graph/shortest-path",
      tags,
      security,
      summary: "A shortest path between two entities (null when none)",
      request: { params: NsParam, body: body(ShortestPathSchema) },
      responses: { 200: json(z.object({ path: z.unknown() }), "The path or null"), ...errorResponses },
    }),
    async (c) => {
      const { ns } = c.req.valid("param");
      requireNamespace(c, ns, "read");
      const b = c.req.valid("json");
      const path = await (await kg(c)).shortestPath({
        namespace: ns,
        from: b.from,
        to: b.to,
        ...(b.direction === undefined ? {} : { direction: b.direction as GraphDirection }),
        ...(b.edge_types === undefined ? {} : { edgeTypes: b.edge_types }),
      });
      return c.json({ path: g.pathToWire(path) } as never, 200);
    },
  );

  const entityPath = "/v1/namespaces/{ns}/graph/entities/{type}/{name}";
  app.openapi(
    createRoute({
      method: "get",
      path: entityPath,
      tags,
      security,
      summary: "Get an entity with its incoming and outgoing edges",
      request: { params: EntityParam },
      responses: { 200: json(EntitySchema, "The entity"), ...errorResponses },
    }),
    async (c) => {
      const { ns, type, name } = c.req.valid("param");
      requireNamespace(c, ns, "read");
      return c.json(
        g.entityToWire(await (await kg(c)).getEntity({ namespace: ns, entity: { type, name } })) as never,
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: entityPath,
      tags,
      security,
      summary: "Create an entity or merge its properties",
      request: { params: EntityParam, body: body(EntityPutSchema) },
      responses: { 200: json(EntitySchema, "The entity"), ...errorResponses },
    }),
    async (c) => {
      const { ns, type, name } = c.req.valid("param");
      requireNamespace(c, ns, "write");
      const properties = c.req.valid("json").properties as Record<string, never> | undefined;
      const entity = await (await kg(c)).upsertEntity({
        namespace: ns,
        entity: { type, name },
        ...(properties ? { properties } : {}),
      });
      return c.json(g.entityToWire(entity) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: entityPath,
      tags,
      security,
      summary: "Remove an entity with its edges and memory links",
      request: { params: EntityParam },
      responses: { 204: { description: "Removed" }, ...errorResponses },
    }),
    async (c) => {
      const { ns, type, name } = c.req.valid("param");
      requireNamespace(c, ns, "write");
      if (!(await (await kg(c)).removeEntity({ namespace: ns, entity: { type, name } }))) {
        await (await kg(c)).getEntity({ namespace: ns, entity: { type, name } }); // throws ENTITY_NOT_FOUND
      }
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/namespaces/{ns}/graph/entities/{type}/{name}/neighbors",
      tags,
      security,
      summary: "Adjacent entities with the connecting edges",
      request: {
        params: EntityParam,
        query: z.object({
          direction: z.enum(["out", "in", "both"]).optional(),
          edge_types: z.string().optional(),
        }),
      },
      responses: { 200: json(z.object({ items: z.array(z.unknown()) }), "Neighbours"), ...errorResponses },
    }),
    async (c) => {
      const { ns, type, name } = c.req.valid("param");
      requireNamespace(c, ns, "read");
      const q = c.req.valid("query");
      const items = await (await kg(c)).neighbors({
        namespace: ns,
        entity: { type, name },
        ...(q.direction === undefined ? {} : { direction: q.direction }),
        ...(q.edge_types === undefined ? {} : { edgeTypes: q.edge_types.split(",").filter(Boolean) }),
      });
      return c.json({ items: items.map(g.neighborToWire) } as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/namespaces/{ns}/graph/export",
      tags,
      security,
      summary: "Export the namespace's graph as JSON",
      request: { params: NsParam },
      responses: {
        200: json(
          z.object({ version: z.literal(1), entities: z.array(EntitySchema), edges: z.array(EdgeSchema) }),
          "The graph",
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { ns } = c.req.valid("param");
      requireNamespace(c, ns, "read");
      return c.json(g.exportToWire(await (await kg(c)).export({ namespace: ns })) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/namespaces/{ns}/graph/import",
      tags,
      security,
      summary: "Merge an exported graph into the namespace (idempotent)",
      request: { params: NsParam, body: body(GraphImportSchema) },
      responses: {
        200: json(z.object({ entities: z.number(), edges: z.number() }), "What changed"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { ns } = c.req.valid("param");
      requireNamespace(c, ns, "write");
      const b = c.req.valid("json");
      const result = await (await kg(c)).import({
        namespace: ns,
        data: g.exportFromWire(b.data as Record<string, unknown>),
      });
      return c.json(result, 200);
    },
  );
}
