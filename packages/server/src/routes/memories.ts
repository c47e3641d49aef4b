/** Memory routes: add, batch, list (see `lists.ts`), get, update, delete. */
import { createRoute, z } from "@hono/zod-openapi";
import { wire } from "@loci/client";
import { type Filter, type Memory, type MemoryClient, type MemoryInput, NotFoundError } from "@loci/engine";
import type { Context } from "hono";
import {
  type Env,
  errorResponses,
  json,
  type LociApp,
  type RouteContext,
  requireNamespace,
} from "../context.js";
import {
  alreadyExists,
  derivedId,
  idempotencyConflict,
  idempotencyKey,
  keyHeaders,
  matchesInput,
  REPLAYED_HEADER,
  type RemovalReason,
  removedReason,
  storedOrGone,
} from "../idempotency.js";
import { assertAddressableId } from "../path-ids.js";
import {
  IdParam,
  MemoryAddSchema,
  MemoryBatchSchema,
  MemoryCountSchema,
  MemoryDeleteManySchema,
  MemoryPatchSchema,
  MemorySchema,
  NsParam,
} from "../schemas.js";
import { registerMemoryListRoutes } from "./lists.js";

const tags = ["memories"];
const security = [{ bearer: [] }];
const replayed = (schema: z.ZodType) =>
  json(schema, `A retried write already applied (${REPLAYED_HEADER}: true)`);

/**
 * Adds memories once per idempotency key: without a key, a plain add; with one, items get the key's
 * derived ids, and a retry that finds them stored returns them (`replayed`), or IDEMPOTENCY_CONFLICT
 * when the key was used for other content, or when they were removed since (the engine refuses the
 * removed ids inside the write's transaction, so a delete cannot slip in between). Items with their
 * own ids keep the embedded semantics (an existing id is ALREADY_EXISTS), since the caller, not the
 * key, owns them.
 */
async function addOnce(
  c: Context<Env>,
  engine: MemoryClient,
  namespace: string,
  inputs: MemoryInput[],
  opts: { single: boolean; refuseRemovedIds: boolean; dedupe: boolean },
): Promise<{ items: Memory[]; replayed: boolean }> {
  // One memory goes through `add`, so an invalid field is named as in its body (`content`), not as a
  // batch item (`memories[0].content`).
  const { dedupe } = opts;
  const write = async (memories: MemoryInput[], refuseRemovedIds: boolean) =>
    opts.single
      ? [await engine.memory.add({ ...memories[0]!, namespace, refuseRemovedIds, dedupe })]
      : await engine.memory.addMany({ namespace, memories, refuseRemovedIds, dedupe });
  for (const [i, m] of inputs.entries()) assertAddressableId(m.id, opts.single ? "id" : `memories[${i}].id`);
  const key = idempotencyKey(c);
  if (key === null) return { items: await write(inputs, opts.refuseRemovedIds), replayed: false };
  const tenant = c.get("principal").tenant;
  const ownIds = inputs.some((m) => m.id !== undefined);
  const keyed = inputs.map((m, index) => ({
    ...m,
    id: m.id ?? derivedId({ tenant, namespace, kind: "memory", key, index }),
  }));
  const what = keyed.length === 1 ? "memory" : "batch of memories";
  try {
    // A retry of a write applied before whose memories have gone since must not add them again.
    return { items: await write(keyed, opts.refuseRemovedIds || !ownIds), replayed: false };
  } catch (err) {
    if (ownIds) throw err;
    const removed = removedReason(err);
    if (removed) throw idempotencyConflict(key, what, { removed });
    if (!alreadyExists(err)) throw err;
    // Some of the ids are stored: the write was applied. Replay it when all of it is still there.
    const stored = await Promise.all(keyed.map((m) => storedOrGone(engine, namespace, m.id)));
    const gone = stored.find((m): m is { removed: RemovalReason } => "removed" in m);
    if (gone) throw idempotencyConflict(key, what, { removed: gone.removed });
    const items = stored.map((m) => (m as { memory: Memory }).memory);
    if (items.every((m, i) => matchesInput(m, keyed[i]!))) return { items, replayed: true };
    throw idempotencyConflict(key, what);
  }
}

/** The session and filter selectors of a count or delete-many body, as the engine takes them. */
function selectors(body: { session_id?: string; filter?: unknown }): { sessionId?: string; filter?: Filter } {
  return {
    ...(body.session_id === undefined ? {} : { sessionId: body.session_id }),
    ...(body.filter === undefined ? {} : { filter: body.filter as Filter }),
  };
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
        headers: keyHeaders,
        body: { content: { "application/json": { schema: MemoryAddSchema } }, required: true },
      },
      responses: {
        201: json(MemorySchema, "The stored memory"),
        200: replayed(MemorySchema),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { ns } = c.req.valid("param");
      requireNamespace(c, ns, "write");
      const { refuse_removed_ids, dedupe, ...body } = c.req.valid("json");
      const r = await addOnce(c, await ctx.engine(c), ns, [input(body)], {
        single: true,
        refuseRemovedIds: refuse_removed_ids === true,
        dedupe: dedupe === true,
      });
      if (r.replayed) c.header(REPLAYED_HEADER, "true");
      return c.json(wire.memoryToWire(r.items[0]!) as never, r.replayed ? 200 : 201);
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
        headers: keyHeaders,
        body: { content: { "application/json": { schema: MemoryBatchSchema } }, required: true },
      },
      responses: {
        201: json(z.object({ items: z.array(MemorySchema) }), "The stored memories"),
        200: replayed(z.object({ items: z.array(MemorySchema) })),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { ns } = c.req.valid("param");
      requireNamespace(c, ns, "write");
      const body = c.req.valid("json");
      const r = await addOnce(c, await ctx.engine(c), ns, body.memories.map(input), {
        single: false,
        refuseRemovedIds: body.refuse_removed_ids === true,
        dedupe: body.dedupe === true,
      });
      if (r.replayed) c.header(REPLAYED_HEADER, "true");
      return c.json({ items: r.items.map(wire.memoryToWire) } as never, r.replayed ? 200 : 201);
    },
  );

  registerMemoryListRoutes(app, ctx);

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
      method: "post",
      path: "/v1/namespaces/{ns}/memories/count",
      tags,
      security,
      summary:
        "Count the memories of a session and/or matching a metadata filter (as a list would return them)",
      request: {
        params: NsParam,
        body: { content: { "application/json": { schema: MemoryCountSchema } }, required: false },
      },
      responses: { 200: json(z.object({ count: z.number() }), "How many memories match"), ...errorResponses },
    }),
    async (c) => {
      const { ns } = c.req.valid("param");
      requireNamespace(c, ns, "read");
      const count = await (await ctx.engine(c)).memory.count({
        namespace: ns,
        ...selectors(c.req.valid("json") ?? {}),
      });
      return c.json({ count }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/namespaces/{ns}/memories/delete",
      tags,
      security,
      summary: "Delete the memories matching ids, a session and/or a metadata filter",
      request: {
        params: NsParam,
        body: { content: { "application/json": { schema: MemoryDeleteManySchema } }, required: true },
      },
      responses: {
        200: json(z.object({ deleted: z.number() }), "How many memories were deleted"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { ns } = c.req.valid("param");
      requireNamespace(c, ns, "write");
      const body = c.req.valid("json");
      const { ids, session_id, filter } = body;
      const r = await (await ctx.engine(c)).memory.deleteMany({
        namespace: ns,
        ...(ids === undefined ? {} : { ids }),
        ...selectors(body),
      });
      // A bulk erase is on the record: who, which namespace, by what, how many.
      const { tenant, keyId } = c.get("principal");
      const by = { ids: ids?.length, session_id, filter };
      ctx.audit.record({
        at: ctx.now(),
        tenant,
        keyId,
        action: "memories.deleted",
        target: ns,
        outcome: "ok",
        detail: JSON.stringify({ ...by, deleted: r.deleted }).slice(0, 2000),
      });
      return c.json(r, 200);
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
