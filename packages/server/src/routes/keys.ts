/** API-key routes (admin): `POST|GET /v1/keys`, `DELETE /v1/keys/{id}`. */
import { createRoute, z } from "@hono/zod-openapi";
import { LociError, toLociError, ValidationError } from "@loci/engine";
import { type ApiKeyInfo, validateScopes } from "../auth/key-store.js";
import { errorResponses, json, type LociApp, type RouteContext, requireAdmin } from "../context.js";
import { KeyCreateSchema, KeySchema } from "../schemas.js";

const tags = ["keys"];
const security = [{ bearer: [] }];

function keyToWire(k: ApiKeyInfo, secret?: string) {
  return {
    id: k.id,
    name: k.name,
    role: k.role,
    scopes: k.scopes,
    created_at: k.createdAt,
    expires_at: k.expiresAt,
    revoked_at: k.revokedAt,
    ...(secret ? { key: secret } : {}),
  };
}

function keysOf(ctx: RouteContext) {
  if (!ctx.keys)
    throw new ValidationError({ message: "key management is unavailable while authentication is off" });
  return ctx.keys;
}

export function registerKeyRoutes(app: LociApp, ctx: RouteContext): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/keys",
      tags,
      security,
      summary: "Create an API key (admin); the secret is returned once",
      request: { body: { content: { "application/json": { schema: KeyCreateSchema } }, required: true } },
      responses: { 201: json(KeySchema, "The key, with its secret"), ...errorResponses },
    }),
    async (c) => {
      const principal = requireAdmin(c);
      const body = c.req.valid("json");
      const name = body.name ?? "";
      if (name.length > 128)
        throw new ValidationError({
          message: "name must be at most 128 characters",
          details: { field: "name" },
        });
      if (body.admin && body.scopes) {
        throw new ValidationError({
          message: "give either admin: true or scopes, not both",
          details: { field: "scopes" },
        });
      }
      const scopes = body.admin ? [] : validateScopes(body.scopes);
      let tenant = principal.tenant;
      if (body.tenant !== undefined) {
        if (principal.role !== "root")
          throw new LociError({
            code: "FORBIDDEN",
            message: "only the root key creates keys for other tenants",
          });
        if (!(await ctx.tenants?.list())?.some((t) => t.name === body.tenant)) {
          throw new LociError({ code: "NOT_FOUND", message: `no tenant "${body.tenant}"` });
        }
        tenant = body.tenant;
      }
      let expiresAt: number | null = null;
      if (body.expires_at !== undefined) {
        expiresAt = typeof body.expires_at === "number" ? body.expires_at : Date.parse(body.expires_at);
        if (!Number.isFinite(expiresAt)) {
          throw new ValidationError({
            message: "expires_at must be a date",
            details: { field: "expires_at" },
          });
        }
      }
      try {
        const { key, info } = await keysOf(ctx).create({
          tenant,
          name,
          role: body.admin ? "admin" : "scoped",
          scopes,
          expiresAt,
          now: ctx.now(),
        });
        ctx.logger.info(
          { event: "key.created", by: principal.keyId, key: info.id, role: info.role },
          "api key created",
        );
        ctx.audit.record({
          at: ctx.now(),
          tenant,
          keyId: principal.keyId,
          action: "key.created",
          target: info.id,
          outcome: "ok",
          detail: info.role === "admin" ? "admin" : JSON.stringify(info.scopes),
        });
        return c.json(keyToWire(info, key) as never, 201);
      } catch (err) {
        throw toLociError(err);
      }
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/keys",
      tags,
      security,
      summary: "List the tenant's API keys (admin; never the secrets)",
      responses: {
        200: json(z.object({ items: z.array(KeySchema), next_cursor: z.null() }), "Keys"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const principal = requireAdmin(c);
      const items = (await keysOf(ctx).list(principal.tenant)).map((k) => keyToWire(k));
      return c.json({ items, next_cursor: null } as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/keys/{id}",
      tags,
      security,
      summary: "Revoke an API key (admin)",
      request: { params: z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) }) },
      responses: { 200: json(KeySchema, "The revoked key"), ...errorResponses },
    }),
    async (c) => {
      const principal = requireAdmin(c);
      const { id } = c.req.valid("param");
      const info = await keysOf(ctx).revoke(principal.tenant, id, ctx.now());
      ctx.logger.info({ event: "key.revoked", by: principal.keyId, key: id }, "api key revoked");
      ctx.audit.record({
        at: ctx.now(),
        tenant: principal.tenant,
        keyId: principal.keyId,
        action: "key.revoked",
        target: id,
        outcome: "ok",
        detail: "",
      });
      return c.json(keyToWire(info) as never, 200);
    },
  );
}
