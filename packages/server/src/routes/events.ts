/**
 * `GET /v1/namespaces/{ns}/events`: Server-Sent Events from the namespace's durable event log.
 * Each message carries `id: <seq>`; reconnecting with `Last-Event-ID` (or `?since=`) resumes after
 * that seq, so a client that reconnects misses nothing and sees nothing twice.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { wire } from "@loci/client";
import { type LociEventType, ValidationError } from "@loci/engine";
import { streamSSE } from "hono/streaming";
import { errorResponses, type LociApp, type RouteContext, requireNamespace } from "../context.js";
import { NsParam } from "../schemas.js";

const HEARTBEAT_MS = 15_000;
/** How often, at most, an open stream re-checks that its key is not revoked or expired. */
const KEY_RECHECK_MS = 1_000;

function parseSeq(raw: string | undefined, field: string): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  if (!/^\d{1,15}$/.test(raw))
    throw new ValidationError({ message: `${field} must be an event seq`, details: { field } });
  return Number(raw);
}

export function registerEventRoutes(app: LociApp, ctx: RouteContext): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/namespaces/{ns}/events",
      tags: ["events"],
      security: [{ bearer: [] }],
      summary: "Stream a namespace's events (SSE; resume with Last-Event-ID)",
      request: {
        params: NsParam,
        query: z.object({
          since: z.string().optional().openapi({ description: "Replay events after this seq" }),
          types: z.string().optional().openapi({ description: "Comma-separated event types" }),
        }),
      },
      responses: {
        200: {
          description: "text/event-stream of events",
          content: { "text/event-stream": { schema: z.string() } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { ns } = c.req.valid("param");
      requireNamespace(c, ns, "read");
      const q = c.req.valid("query");
      const since = parseSeq(c.req.header("last-event-id"), "Last-Event-ID") ?? parseSeq(q.since, "since");
      const types = q.types?.split(",").filter(Boolean) as LociEventType[] | undefined;
      // Subscribe before streaming so errors (unknown namespace, bad types) are proper JSON responses.
      const queue: string[][] = [];
      let wake: (() => void) | null = null;
      const sub = await (await ctx.engine(c)).events.subscribe(
        { namespace: ns, ...(since === undefined ? {} : { since }), ...(types ? { types } : {}) },
        (e) => {
          queue.push([String(e.seq), e.type, JSON.stringify(wire.eventToWire(e))]);
          wake?.();
        },
      );
      const keyId = c.get("principal").keyId;
      let checkedAt = ctx.now();
      /** Whether the key may still read: re-checked before sending, at most every KEY_RECHECK_MS. */
      const keyActive = async () => {
        if (!ctx.keys || ctx.now() - checkedAt < KEY_RECHECK_MS) return true;
        checkedAt = ctx.now();
        return ctx.keys.active(keyId, checkedAt);
      };
      return streamSSE(c, async (stream) => {
        let open = true;
        const close = () => {
          open = false;
          wake?.();
        };
        ctx.streams.add(close);
        ctx.metrics.sse(1);
        stream.onAbort(close);
        try {
          while (open) {
            // A key revoked (or expired) while its stream is open ends the stream; the reconnect
            // then gets 401 like any other request.
            if (!(await keyActive())) break;
            while (queue.length > 0 && open) {
              const [id, event, data] = queue.shift()!;
              await stream.writeSSE({ id: id!, event: event!, data: data! });
            }
            if (!open) break;
            const timer = new Promise<void>((resolve) => {
              wake = resolve;
              setTimeout(resolve, HEARTBEAT_MS).unref();
            });
            await timer;
            wake = null;
            if (!(await keyActive())) break;
            if (open && queue.length === 0) await stream.write(": ping\n\n");
          }
        } finally {
          sub.unsubscribe();
          ctx.streams.delete(close);
          ctx.metrics.sse(-1);
        }
      });
    },
  );
}
