/**
 * How `memory.list` and `session.list` reach the server. A short filter (or none) goes in the
 * query string of `GET …/memories` / `GET …/sessions`, as it always has, so those calls work
 * unchanged against older servers. A filter whose percent-encoded JSON is longer than
 * {@link FILTER_QUERY_MAX_CHARS} goes in the body of `POST …/memories/list` / `POST …/sessions/list`
 * instead: an `$in` of a thousand ids is ~40 KB, which no URL can carry (Node's HTTP server refuses
 * request headers over 16 KiB with a bare 431, and proxies often stop at 8 KiB). Both routes
 * return the same page, and their cursors are interchangeable.
 *
 * @module
 */
import type { HttpRequest } from "./http.js";
import { assertSendable } from "./json-check.js";

/**
 * The longest filter, in characters of percent-encoded JSON, that is sent in the query string
 * (`GET`); a longer one is sent in the body of the `POST …/list` route (servers since that route
 * was added). 2,048 keeps the whole URL well under common limits of servers and proxies.
 */
export const FILTER_QUERY_MAX_CHARS = 2048;

/** The paging parameters of a list, in wire names (`session_id`, `status`, `cursor`, `limit`). */
export type ListParams = Record<string, string | number | undefined>;

/**
 * The request of one list page: `GET path?…` or, for a long filter, `POST path/list` with a body.
 *
 * @param path - The collection's path (`/v1/namespaces/{ns}/memories`).
 * @param params - The other parameters, in wire names; `undefined` ones are left out.
 * @param filter - The metadata filter, if any.
 * @param maxQueryChars - The threshold (see {@link FILTER_QUERY_MAX_CHARS}).
 * @throws {FilterError} INVALID_FILTER, before sending, for a filter holding values JSON cannot carry
 */
export function listRequest(
  path: string,
  params: ListParams,
  filter: unknown,
  signal: AbortSignal | undefined,
  maxQueryChars = FILTER_QUERY_MAX_CHARS,
): HttpRequest {
  const json = filter === undefined ? undefined : sendableFilter(filter);
  if (json !== undefined && encodeURIComponent(json).length > maxQueryChars) {
    return { method: "POST", path: `${path}/list`, body: { ...params, filter }, signal, safe: true };
  }
  return { method: "GET", path, query: { ...params, filter: json }, signal, safe: true };
}

/** The filter as JSON, checked like a body's (so `undefined` or NaN inside is INVALID_FILTER). */
function sendableFilter(filter: unknown): string {
  assertSendable({ filter });
  return JSON.stringify(filter);
}
