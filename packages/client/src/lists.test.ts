/** Which route a list takes: GET with the filter in the query up to the threshold, POST …/list past it. */
import { FilterError } from "@loci/engine";
import { describe, expect, it } from "vitest";
import { FILTER_QUERY_MAX_CHARS, listRequest } from "./lists.js";

const path = "/v1/namespaces/ns/memories";
/** A filter whose percent-encoded JSON is exactly `chars` long (`{"k":"aaa…"}`). */
const filterOf = (chars: number) => ({ k: "a".repeat(chars - encodeURIComponent('{"k":""}').length) });

describe("listRequest", () => {
  it("sends no filter, or one up to the threshold, in the query string of the GET route", () => {
    expect(FILTER_QUERY_MAX_CHARS).toBe(2048);
    expect(listRequest(path, { cursor: "c", limit: 5 }, undefined, undefined)).toEqual({
      method: "GET",
      path,
      query: { cursor: "c", limit: 5, filter: undefined },
      signal: undefined,
      safe: true,
    });
    const atMost = filterOf(FILTER_QUERY_MAX_CHARS);
    expect(encodeURIComponent(JSON.stringify(atMost)).length).toBe(FILTER_QUERY_MAX_CHARS);
    const r = listRequest(path, { session_id: "s" }, atMost, undefined);
    expect([r.method, r.path, r.query?.filter, r.query?.session_id]).toEqual([
      "GET",
      path,
      JSON.stringify(atMost),
      "s",
    ]);
  });

  it("sends a longer filter in the body of POST …/list, with the other parameters", () => {
    const signal = new AbortController().signal;
    const longer = filterOf(FILTER_QUERY_MAX_CHARS + 1);
    expect(listRequest(path, { session_id: "s", limit: 5, cursor: undefined }, longer, signal)).toEqual({
      method: "POST",
      path: `${path}/list`,
      body: { session_id: "s", limit: 5, cursor: undefined, filter: longer },
      signal,
      safe: true,
    });
    // The threshold counts encoded characters: 700 spaces are 2,100 of them.
    expect(listRequest(path, {}, { k: " ".repeat(700) }, undefined).method).toBe("POST");
    expect(listRequest(path, {}, { k: "a".repeat(700) }, undefined).method).toBe("GET");
    expect(listRequest(path, {}, { k: "a".repeat(700) }, undefined, 100).method).toBe("POST");
  });

  it("refuses a filter JSON cannot carry before choosing a route", () => {
    for (const chars of [100, 5000]) {
      const bad = { ...filterOf(chars), n: Number.NaN };
      expect(() => listRequest(path, {}, bad, undefined)).toThrow(FilterError);
    }
  });
});
