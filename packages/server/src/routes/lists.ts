/**
 * The list routes of memories and sessions, each in two forms served by one handler:
 *
 * - `GET /v1/namespaces/{ns}/{memories|sessions}?filter=<JSON>&cursor=…&limit=…`
 * - `POST /v1/namespaces/{ns}/{memories|sessions}/list` with `{ filter?, cursor?, limit?, … }` as
 *   the body, for filters too long for a URL (an `$in` of a thousand ids is ~40 KB, past the
 *   server's 16 KiB header limit, which Node answers with a bare 431).
 *
 * Both forms check the same scope (read), validate the same way (the filter is validated by the
 * engine, so a bad one is INVALID_FILTER in either), and return the same `{ items, next_cursor }`.
 * The cursors are the engine's, so a cursor from one form continues in the other.
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import { wire } from "@loci/client";
import { type Filter, FilterError, type MemoryClient } from "@loci/engine";
import { errorResponses, json, type LociApp, type RouteContext, requireNamespace } from "../context.js";
import { MemorySchema, NsParam, PageQuery, pageOf, SessionSchema } from "../schemas.js";

/**
 * Parses a JSON-encoded filter from a query string (any JSON value: the engine validates it).
 *
 * @throws {FilterError} INVALID_FILTER when `raw` is not JSON
 */
export function parseFilterParam(raw: string | undefined): unknown {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new FilterError({ message: "filter must be a JSON-encoded object" });
  }
}

const security = [{ bearer: [] }];
const example = { customer_id: "cust_42", memory_id: { $in: ["0190…", "0191…"] } };
/**
 * A filter in a list body. Any JSON passes the schema: the engine validates it, so a malformed one
 * is INVALID_FILTER (as in the query form), not a schema error.
 */
const BodyFilter = z.unknown().openapi({
  type: "object",
  additionalProperties: true,
  description: "Metadata filter ($eq $ne $gt $gte $lt $lte $in $nin $exists $contains $and $or $not)",
  example,
});

/** The paging fields of a list, as parsed from either form (`filter` already decoded). */
interface PageInput {
  filter?: unknown;
  cursor?: string | undefined;
  limit?: number | undefined;
}
/** A page on the wire. */
type WirePage = { items: unknown[]; next_cursor: string | null };

/** The engine's paging options from the wire's, leaving out what was not given. */
function pageOptions(q: PageInput): { filter?: Filter; cursor?: string; limit?: number } {
  return {
    ...(q.filter === undefined ? {} : { filter: q.filter as Filter }),
    ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
    ...(q.limit === undefined ? {} : { limit: q.limit }),
  };
}

/** One resource's list, described once for both forms. */
interface ListKind<F extends z.ZodRawShape> {
  /** `memories` or `sessions`: the path segment and the OpenAPI tag. */
  resource: "memories" | "sessions";
  /** What the list returns (the OpenAPI summary). */
  summary: string;
  /** The page schema (a registered component, so both forms share it). */
  page: z.ZodType;
  /** The name of the POST body's component. */
  bodyName: string;
  /** The resource's own fields, besides the filter and paging (`session_id`, `status`). */
  fields: F;
  /** Lists one page. */
  list(engine: MemoryClient, ns: string, q: z.infer<z.ZodObject<F>> & PageInput): Promise<WirePage>;
}

/** Registers the GET and the POST form of one list; both run `kind.list` after the same checks. */
function registerListForms<F extends z.ZodRawShape>(app: LociApp, ctx: RouteContext, kind: ListKind<F>) {
  type Input = z.infer<z.ZodObject<F>> & PageInput;
  const path = `/v1/namespaces/{ns}/${kind.resource}`;
  const tags = [kind.resource];
  const responses = { 200: json(kind.page, `A page of ${kind.resource}`), ...errorResponses };
  const query = PageQuery.extend(kind.fields).extend({
    filter: z.string().optional().openapi({ description: "JSON-encoded metadata filter" }),
  });
  const body = z
    .object(kind.fields)
    .extend({ filter: BodyFilter.optional(), cursor: z.string().optional(), limit: z.number().optional() })
    .strict()
    .openapi(kind.bodyName, { example: { filter: example, limit: 100 } });

  app.openapi(
    createRoute({
      method: "get",
      path,
      tags,
      security,
      summary: kind.summary,
      request: { params: NsParam, query },
      responses,
    }),
    async (c) => {
      const { ns } = c.req.valid("param");
      requireNamespace(c, ns, "read");
      const q = c.req.valid("query") as unknown as Input & { filter?: string };
      const page = await kind.list(await ctx.engine(c), ns, { ...q, filter: parseFilterParam(q.filter) });
      return c.json(page as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: `${path}/list`,
      tags,
      security,
      summary: `${kind.summary} (the filter in the body, for filters too long for a URL)`,
      request: {
        params: NsParam,
        body: { content: { "application/json": { schema: body } }, required: false },
      },
      responses,
    }),
    async (c) => {
      const { ns } = c.req.valid("param");
      requireNamespace(c, ns, "read");
      const q = (c.req.valid("json") ?? {}) as Input;
      return c.json((await kind.list(await ctx.engine(c), ns, q)) as never, 200);
    },
  );
}

const MemoryPage = pageOf(MemorySchema, "MemoryPage");
const SessionPage = pageOf(SessionSchema, "SessionPage");

/** `GET /v1/namespaces/{ns}/memories` and `POST /v1/namespaces/{ns}/memories/list`. */
export function registerMemoryListRoutes(app: LociApp, ctx: RouteContext): void {
  registerListForms(app, ctx, {
    resource: "memories",
    summary: "List memories (insertion order), optionally by session and metadata filter",
    page: MemoryPage,
    bodyName: "MemoryListRequest",
    fields: { session_id: z.string().optional() },
    async list(engine, ns, q) {
      const page = await engine.memory.list({
        namespace: ns,
        ...(q.session_id === undefined ? {} : { sessionId: q.session_id }),
        ...pageOptions(q),
      });
      return { items: page.items.map(wire.memoryToWire), next_cursor: page.nextCursor };
    },
  });
}

/** `GET /v1/namespaces/{ns}/sessions` and `POST /v1/namespaces/{ns}/sessions/list`. */
export function registerSessionListRoutes(app: LociApp, ctx: RouteContext): void {
  registerListForms(app, ctx, {
    resource: "sessions",
    summary: "List sessions, optionally by status and metadata filter",
    page: SessionPage,
    bodyName: "SessionListRequest",
    fields: { status: z.enum(["active", "ended", "all"]).optional() },
    async list(engine, ns, q) {
      const page = await engine.session.list({
        namespace: ns,
        ...(q.status === undefined ? {} : { status: q.status }),
        ...pageOptions(q),
      });
      return { items: page.items.map(wire.sessionToWire), next_cursor: page.nextCursor };
    },
  });
}
