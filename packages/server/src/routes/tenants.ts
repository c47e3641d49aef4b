/** Tenant routes (root key only): `POST|GET /v1/tenants`, `DELETE /v1/tenants/{name}`, rekey. */
import { createRoute, z } from "@hono/zod-openapi";
import { LociError } from "@loci/engine";
import type { Context } from "hono";
import { type Env, errorResponses, json, type LociApp, type RouteContext } from "../context.js";
import { assertNamespaceNameForTenant } from "../tenants/names.js";
import type { TenantInfo } from "../tenants/tenant-store.js";

const tags = ["tenants"];
const security = [{ bearer: [] }];
const TenantSchema = z
  .object({ name: z.string(), encrypted: z.boolean(), created_at: z.string(), key_version: z.number() })
  .openapi("Tenant");
const NameParam = z.object({ name: z.string().openapi({ param: { name: "name", in: "path" } }) });

const toWire = (t: TenantInfo) => ({
  name: t.name,
  encrypted: t.encrypted,
  created_at: t.createdAt,
  key_version: t.keyVersion,
});

function rootOnly(c: Context<Env>, ctx: RouteContext) {
  if (c.get("principal").role !== "root")
    throw new LociError({ code: "FORBIDDEN", message: "tenant management needs the root key" });
  if (!ctx.tenants) throw new LociError({ code: "INVALID_ARGUMENT", message: "tenants are unavailable" });
  return ctx.tenants;
}

export function registerTenantRoutes(app: LociApp, ctx: RouteContext): void {
  const audit = (c: Context<Env>, action: string, target: string) =>
    ctx.audit.record({
      at: ctx.now(),
      tenant: target,
      keyId: c.get("principal").keyId,
      action,
      target,
      outcome: "ok",
      detail: "",
    });

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/tenants",
      tags,
      security,
      summary: "Create a tenant: its own data directory and a new 256-bit data key (root)",
      request: {
        body: {
          content: { "application/json": { schema: z.object({ name: z.string() }).strict() } },
          required: true,
        },
      },
      responses: { 201: json(TenantSchema, "The tenant"), ...errorResponses },
    }),
    async (c) => {
      const tenants = rootOnly(c, ctx);
      const name = assertNamespaceNameForTenant(c.req.valid("json").name);
      const info = await tenants.create(name);
      audit(c, "tenant.created", name);
      return c.json(toWire(info) as never, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/tenants",
      tags,
      security,
      summary: "List tenants (root)",
      responses: {
        200: json(z.object({ items: z.array(TenantSchema), next_cursor: z.null() }), "Tenants"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const tenants = rootOnly(c, ctx);
      return c.json({ items: (await tenants.list()).map(toWire), next_cursor: null } as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/tenants/{name}",
      tags,
      security,
      summary: "Delete a tenant: its key is destroyed and its data removed (root)",
      request: { params: NameParam },
      responses: { 204: { description: "Deleted" }, ...errorResponses },
    }),
    async (c) => {
      const tenants = rootOnly(c, ctx);
      const { name } = c.req.valid("param");
      if (!(await tenants.delete(name)))
        throw new LociError({ code: "NOT_FOUND", message: `no tenant "${name}"` });
      await ctx.keys?.revokeTenant(name, ctx.now());
      audit(c, "tenant.deleted", name);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/tenants/{name}/rekey",
      tags,
      security,
      summary: "Rotate a tenant's data key while it keeps serving (root)",
      request: { params: NameParam },
      responses: { 200: json(TenantSchema, "The tenant with its new key version"), ...errorResponses },
    }),
    async (c) => {
      const tenants = rootOnly(c, ctx);
      const { name } = c.req.valid("param");
      const info = await tenants.rekey(name);
      audit(c, "tenant.rekeyed", name);
      return c.json(toWire(info) as never, 200);
    },
  );
}
