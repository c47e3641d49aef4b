/**
 * `client.session.*`: create, get, list, end.
 *
 * @module
 */
import { NotFoundError, ValidationError } from "../errors.js";
import { compileFilter } from "../filter/compile.js";
import type { SessionRecord } from "../storage/driver.js";
import type { ListSessionsOptions, Metadata, Page, Session, SessionApi } from "../types.js";
import { uuidv7 } from "../util/ids.js";
import { assertId, assertInteger, validateMetadata } from "../validation.js";
import type { EngineCore } from "./core.js";
import { decodeCursor, encodeCursor, queryTag } from "./cursor.js";

function toSession(namespace: string, rec: SessionRecord): Session {
  return {
    id: rec.id,
    namespace,
    metadata: rec.metadata,
    createdAt: new Date(rec.createdAt).toISOString(),
    endedAt: rec.endedAt === null ? null : new Date(rec.endedAt).toISOString(),
    memoryCount: rec.memoryCount,
  };
}

const notFound = (namespace: string, id: string) =>
  new NotFoundError({ code: "SESSION_NOT_FOUND", message: `session "${id}" not found in "${namespace}"` });

/** The session section of the embedded client. */
export class SessionService implements SessionApi {
  readonly #core: EngineCore;

  constructor(core: EngineCore) {
    this.#core = core;
  }

  async create(opts: { namespace: string; metadata?: Metadata; id?: string }): Promise<Session> {
    return this.#core.use(
      opts?.namespace,
      async (rt) => {
        const now = this.#core.clock.now();
        const id = opts.id === undefined ? uuidv7(now) : assertId(opts.id, "id");
        const metadata = validateMetadata(opts.metadata, "metadata", this.#core.limits.metadataBytes);
        const rec = await rt.write(() => rt.store.createSession({ id, metadata, createdAt: now }));
        return toSession(rt.name, rec);
      },
      { create: true },
    );
  }

  async get(opts: { namespace: string; id: string }): Promise<Session> {
    return this.#core.use(opts?.namespace, async (rt) => {
      const id = assertId(opts.id, "id");
      const rec = await rt.store.getSession(id);
      if (!rec) throw notFound(rt.name, id);
      return toSession(rt.name, rec);
    });
  }

  async list(opts: ListSessionsOptions): Promise<Page<Session>> {
    return this.#core.use(opts?.namespace, async (rt) => {
      const status = opts.status ?? "all";
      if (status !== "all" && status !== "active" && status !== "ended") {
        throw new ValidationError({
          message: 'status must be "active", "ended" or "all"',
          details: { field: "status" },
        });
      }
      const limit =
        opts.limit === undefined ? 50 : assertInteger(opts.limit, "limit", 1, this.#core.limits.pageSize);
      const predicate =
        opts.filter === undefined ? null : compileFilter(opts.filter, this.#core.limits.filter);
      const tag = queryTag([rt.name, "sessions", status, opts.filter ?? null]);
      let after = opts.cursor === undefined ? 0 : Number(decodeCursor(opts.cursor, tag));
      const items: Session[] = [];
      let last = after;
      for (;;) {
        const page = await rt.store.listSessions({ afterSeq: after, limit: 500 });
        for (const rec of page) {
          if (status === "active" && rec.endedAt !== null) continue;
          if (status === "ended" && rec.endedAt === null) continue;
          if (predicate && !predicate(rec.metadata)) continue;
          if (items.length === limit) return { items, nextCursor: encodeCursor(last, tag) };
          items.push(toSession(rt.name, rec));
          last = rec.seq;
        }
        if (page.length < 500) return { items, nextCursor: null };
        after = page[page.length - 1]!.seq;
      }
    });
  }

  async end(opts: { namespace: string; id: string }): Promise<Session> {
    return this.#core.use(opts?.namespace, async (rt) => {
      const id = assertId(opts.id, "id");
      const rec = await rt.write(() => rt.store.endSession(id, this.#core.clock.now()));
      if (!rec) throw notFound(rt.name, id);
      return toSession(rt.name, rec);
    });
  }
}
