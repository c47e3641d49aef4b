/**
 * Paging for the CLI's listings and exports: pages of up to 1,000 items, or of the server's own
 * default when it is configured with a smaller page size (`LOCI_LIMITS='{"pageSize":50}'`), which
 * refuses a limit of 1,000 with 400 `limit`.
 *
 * @module
 */
import { LociError, type Page } from "@loci/engine";

/** The page size asked for first. */
export const CLI_PAGE = 1_000;

/** A list call of the client (`memory.list`, `session.list`, `namespace.list`) with its other options bound. */
export type ListPage<T> = (opts: { limit?: number; cursor?: string }) => Promise<Page<T>>;

/** Every page of `list`, in order; `limit` falls back to the server's default when it refuses {@link CLI_PAGE}. */
export async function* allPages<T>(list: ListPage<T>): AsyncGenerator<T[]> {
  let limit: number | undefined = CLI_PAGE;
  for (let cursor: string | undefined; ; ) {
    let page: Page<T>;
    try {
      page = await list({ ...(limit === undefined ? {} : { limit }), ...(cursor ? { cursor } : {}) });
    } catch (err) {
      if (limit === undefined || !refusedLimit(err)) throw err;
      limit = undefined;
      continue;
    }
    yield page.items;
    if (!page.nextCursor) return;
    cursor = page.nextCursor;
  }
}

function refusedLimit(err: unknown): boolean {
  return (
    LociError.isInstance(err) && err.status === 400 && (err.details as { field?: unknown })?.field === "limit"
  );
}
