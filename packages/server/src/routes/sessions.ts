/** Session routes: create, list (see `lists.ts`), get, end. */
import { createRoute } from "@hono/zod-openapi";
import { wire } from "@loci/client";
import { errorResponses, json, type LociApp, type RouteContext, requireNamespace } from "../context.js";
import {
  alreadyExists,
  derivedId,
  idempotencyConflict,
  idempotencyKey,
  keyHeaders,
  REPLAYED_HEADER,
  sameMetadata,
} from "../idempotency.js";
import { assertAddressableId } from "../path-ids.js";
import { IdParam, NsParam, SessionCreateSchema, SessionSchema } from "../schemas.js";
import { registerSessionListRoutes } from "./lists.js";

const tags = ["sessions"];
const security = [{ bearer: [] }];

export function registerSessionRoutes(app: LociApp, ctx: RouteContext): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/namespaces/{ns}/sessions",
      tags,
      security,
      summary: "Create a session",
      request: {
        params: NsParam,
        headers: keyHeaders,
        body: { content: { "application/json": { schema: SessionCreateSchema } }, required: false },
      },
      responses: {
        201: json(SessionSchema, "The session"),
        200: json(SessionSchema, `A retried create already applied (${REPLAYED_HEADER}: true)`),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { ns } = c.req.valid("param");
      requireNamespace(c, ns, "write");
      const body = (c.req.valid("json") ?? {}) as { metadata?: Record<string, never>; id?: string };
      assertAddressableId(body.id, "id");
      const key = idempotencyKey(c);
      const id =
        body.id ??
        (key === null
          ? undefined
          : derivedId({ tenant: c.get("principal").tenant, namespace: ns, kind: "session", key }));
      const engine = await ctx.engine(c);
      try {
        const session = await engine.session.create({
          namespace: ns,
          ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
          ...(id === undefined ? {} : { id }),
        });
        return c.json(wire.sessionToWire(session) as never, 201);
      } catch (err) {
        // A session id of the caller's own keeps the embedded semantics (ALREADY_EXISTS).
        if (key === null || id === undefined || body.id !== undefined || !alreadyExists(err)) throw err;
        const stored = await engine.session.get({ namespace: ns, id });
        if (!sameMetadata(stored.metadata, body.metadata)) throw idempotencyConflict(key, "session");
        c.header(REPLAYED_HEADER, "true");
        return c.json(wire.sessionToWire(stored) as never, 200);
      }
    },
  );

  registerSessionListRoutes(app, ctx);

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/namespaces/{ns}/sessions/{id}",
      tags,
      security,
      summary: "Get a session",
      request: { params: IdParam },
      responses: { 200: json(SessionSchema, "The session"), ...errorResponses },
    }),
    async (c) => {
      const { ns, id } = c.req.valid("param");
      requireNamespace(c, ns, "read");
      return c.json(
        wire.sessionToWire(await (await ctx.engine(c)).session.get({ namespace: ns, id })) as never,
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/namespaces/{ns}/sessions/{id}/end",
      tags,
      security,
      summary: "End a session (idempotent)",
      request: { params: IdParam },
      responses: { 200: json(SessionSchema, "The ended session"), ...errorResponses },
    }),
    async (c) => {
      const { ns, id } = c.req.valid("param");
      requireNamespace(c, ns, "write");
      return c.json(
        wire.sessionToWire(await (await ctx.engine(c)).session.end({ namespace: ns, id })) as never,
        200,
      );
    },
  );
}
