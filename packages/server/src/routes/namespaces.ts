/** Namespace routes: `POST/GET /v1/namespaces`, `GET|PATCH|DELETE /v1/namespaces/{ns}`. */
import { createRoute } from "@hono/zod-openapi";
import { wire } from "@loci/client";
import { type Namespace, ValidationError } from "@loci/engine";
import { can } from "../auth/scopes.js";
import {
  errorResponses,
  json,
  type LociApp,
  type RouteContext,
  requireAdmin,
  requireNamespace,
} from "../context.js";
import {
  NamespaceCreateSchema,
  NamespacePatchSchema,
  NamespaceSchema,
  NsParam,
  PageQuery,
  pageOf,
} from "../schemas.js";

const tags = ["namespaces"];
const NAME_RE = /^[A-Za-z0-9-][A-Za-z0-9._-]{0,127}$/;

/** The page size of a scoped listing, checked as the engine checks an admin's. */
function scopedLimit(limit: number | undefined, pageSize: number): number {
  if (limit === undefined) return Math.min(100, pageSize);
  if (!Number.isInteger(limit) || limit < 1 || limit > pageSize) {
    throw new ValidationError({
      message: `limit must be an integer between 1 and ${pageSize}`,
      details: { field: "limit" },
    });
  }
  return limit;
}

/** The name a scoped listing's cursor continues after. @throws INVALID_CURSOR unless this route made it */
function scopedCursor(cursor: string): string {
  const name = Buffer.from(cursor, "base64url").toString("utf8");
  if (!NAME_RE.test(name) || Buffer.from(name).toString("base64url") !== cursor) {
    throw new ValidationError({
      code: "INVALID_CURSOR",
      message: "cursor is malformed or belongs to another query",
    });
  }
  return name;
}
const security = [{ bearer: [] }];

export function registerNamespaceRoutes(app: LociApp, ctx: RouteContext): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/namespaces",
      tags,
      security,
      summary: "Create a namespace (admin, or a key with write scope on the name)",
      request: {
        body: { content: { "application/json": { schema: NamespaceCreateSchema } }, required: true },
      },
      responses: { 201: json(NamespaceSchema, "The namespace"), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid("json");
      requireNamespace(c, body.name, "write");
      const ns = await (await ctx.engine(c)).namespace.create({
        name: body.name,
        ...(body.description === undefined ? {} : { description: body.description }),
        ...(body.config ? { config: wire.configFromWire(body.config) } : {}),
      });
      return c.json(wire.namespaceToWire(ns) as never, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/namespaces",
      tags,
      security,
      summary: "List the namespaces this key may read",
      request: { query: PageQuery },
      responses: {
        200: json(pageOf(NamespaceSchema, "NamespacePage"), "A page of namespaces"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { cursor, limit } = c.req.valid("query");
      const principal = c.get("principal");
      if (principal.role !== "scoped") {
        const page = await (await ctx.engine(c)).namespace.list({
          ...(cursor === undefined ? {} : { cursor }),
          ...(limit === undefined ? {} : { limit }),
        });
        return c.json(
          { items: page.items.map(wire.namespaceToWire), next_cursor: page.nextCursor } as never,
          200,
        );
      }
      // Scoped keys see only what they may read: filter, then paginate by name.
      const max = scopedLimit(limit, ctx.pageSize);
      const after = cursor === undefined ? "" : scopedCursor(cursor);
      const visible: Namespace[] = [];
      let more = false;
      for (let engineCursor: string | undefined; ; ) {
        const page = await (await ctx.engine(c)).namespace.list({
          limit: ctx.pageSize,
          ...(engineCursor ? { cursor: engineCursor } : {}),
        });
        for (const ns of page.items) {
          if (ns.name <= after || !can(principal, ns.name, "read")) continue;
          if (visible.length === max) more = true;
          else visible.push(ns);
        }
        if (more || !page.nextCursor) break;
        engineCursor = page.nextCursor;
      }
      const next = more ? Buffer.from(visible[visible.length - 1]!.name).toString("base64url") : null;
      return c.json({ items: visible.map(wire.namespaceToWire), next_cursor: next } as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/namespaces/{ns}",
      tags,
      security,
      summary: "Get a namespace",
      request: { params: NsParam },
      responses: { 200: json(NamespaceSchema, "The namespace"), ...errorResponses },
    }),
    async (c) => {
      const { ns } = c.req.valid("param");
      requireNamespace(c, ns, "read");
      return c.json(
        wire.namespaceToWire(await (await ctx.engine(c)).namespace.get({ namespace: ns })) as never,
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/v1/namespaces/{ns}",
      tags,
      security,
      summary: "Configure a namespace (admin)",
      request: {
        params: NsParam,
        body: { content: { "application/json": { schema: NamespacePatchSchema } }, required: true },
      },
      responses: { 200: json(NamespaceSchema, "The namespace"), ...errorResponses },
    }),
    async (c) => {
      const { ns } = c.req.valid("param");
      requireAdmin(c);
      const body = c.req.valid("json");
      const updated = await (await ctx.engine(c)).namespace.configure({
        namespace: ns,
        ...(body.description === undefined ? {} : { description: body.description }),
        ...(body.config ? wire.configFromWire(body.config) : {}),
      });
      return c.json(wire.namespaceToWire(updated) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/namespaces/{ns}",
      tags,
      security,
      summary: "Delete a namespace and everything in it (admin)",
      request: { params: NsParam },
      responses: { 204: { description: "Deleted" }, ...errorResponses },
    }),
    async (c) => {
      const { ns } = c.req.valid("param");
      requireAdmin(c);
      if (!(await (await ctx.engine(c)).namespace.delete({ namespace: ns }))) {
        await (await ctx.engine(c)).namespace.get({ namespace: ns }); // throws NAMESPACE_NOT_FOUND (or INVALID_NAMESPACE)
      }
      const { tenant, keyId } = c.get("principal");
      ctx.audit.record({
        at: ctx.now(),
        tenant,
        keyId,
        action: "namespace.deleted",
        target: ns,
        outcome: "ok",
        detail: "",
      });
      return c.body(null, 204);
    },
  );
}
