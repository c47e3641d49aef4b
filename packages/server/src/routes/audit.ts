/** `GET /v1/audit`: the audit log of the caller's tenant (admin; root sees every tenant). */
import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses, json, type LociApp, type RouteContext, requireAdmin } from "../context.js";

const EntrySchema = z
  .object({
    seq: z.number(),
    at: z.string(),
    tenant: z.string().nullable(),
    key_id: z.string().nullable(),
    action: z.string(),
    target: z.string(),
    outcome: z.enum(["ok", "denied"]),
    detail: z.string(),
  })
  .openapi("AuditEntry");

export function registerAuditRoutes(app: LociApp, ctx: RouteContext): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/audit",
      tags: ["audit"],
      security: [{ bearer: [] }],
      summary: "Key and tenant operations and denied requests, newest first (admin)",
      request: {
        query: z.object({
          action: z.string().optional(),
          outcome: z.enum(["ok", "denied"]).optional(),
          cursor: z
            .string()
            .regex(/^\d{1,15}$/)
            .optional(),
          limit: z.coerce.number().int().min(1).max(1000).optional(),
        }),
      },
      responses: {
        200: json(z.object({ items: z.array(EntrySchema), next_cursor: z.string().nullable() }), "Entries"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const principal = requireAdmin(c);
      const q = c.req.valid("query");
      const limit = q.limit ?? 100;
      const items = ctx.audit.query({
        tenant: principal.role === "root" ? null : principal.tenant,
        ...(q.action ? { action: q.action } : {}),
        ...(q.outcome ? { outcome: q.outcome } : {}),
        ...(q.cursor ? { beforeSeq: Number(q.cursor) } : {}),
        limit,
      });
      const wireItems = items.map((e) => ({ ...e, key_id: e.keyId, keyId: undefined }));
      const next = items.length === limit ? String(items[items.length - 1]!.seq) : null;
      return c.json({ items: wireItems, next_cursor: next } as never, 200);
    },
  );
}
