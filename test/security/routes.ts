/**
 * Every route of the API with a valid body, the permission it needs, and where it points
 * (the victim namespace, or the tenant's key and audit resources).
 */

/** What a route needs. */
export type Need = "read" | "write" | "admin";

/** One route under attack. */
export interface RouteCase {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  body?: unknown;
  need: Need;
}

const ns = "/v1/namespaces/victim";
const entity = `${ns}/graph/entities/company/Victim%20Corp`;
const edge = {
  source: { type: "person", name: "Vic" },
  target: { type: "company", name: "Victim Corp" },
  edge_type: "works_at",
};

/** The routes, with the victim namespace's data as the target. */
export const ROUTES: RouteCase[] = [
  { method: "GET", path: "/v1/namespaces", need: "read" },
  { method: "POST", path: "/v1/namespaces", body: { name: "victim-2" }, need: "write" },
  { method: "GET", path: ns, need: "read" },
  { method: "PATCH", path: ns, body: { description: "owned" }, need: "admin" },
  { method: "DELETE", path: ns, need: "admin" },
  { method: "POST", path: `${ns}/memories`, body: { content: "injected" }, need: "write" },
  {
    method: "POST",
    path: `${ns}/memories/batch`,
    body: { memories: [{ content: "injected" }] },
    need: "write",
  },
  { method: "GET", path: `${ns}/memories`, need: "read" },
  { method: "POST", path: `${ns}/memories/list`, body: {}, need: "read" },
  { method: "GET", path: `${ns}/memories/victim-memory`, need: "read" },
  { method: "PATCH", path: `${ns}/memories/victim-memory`, body: { content: "tampered" }, need: "write" },
  { method: "DELETE", path: `${ns}/memories/victim-memory`, need: "write" },
  { method: "POST", path: `${ns}/search`, body: { query: "secret" }, need: "read" },
  { method: "POST", path: "/v1/search", body: { namespaces: ["victim"], query: "secret" }, need: "read" },
  { method: "POST", path: `${ns}/sessions`, body: { metadata: {} }, need: "write" },
  { method: "GET", path: `${ns}/sessions`, need: "read" },
  { method: "POST", path: `${ns}/sessions/list`, body: {}, need: "read" },
  { method: "GET", path: `${ns}/sessions/victim-session`, need: "read" },
  { method: "POST", path: `${ns}/sessions/victim-session/end`, need: "write" },
  { method: "GET", path: `${ns}/events?since=0`, need: "read" },
  { method: "POST", path: `${ns}/graph/edges`, body: edge, need: "write" },
  { method: "POST", path: `${ns}/graph/edges/batch`, body: { edges: [edge] }, need: "write" },
  { method: "POST", path: `${ns}/graph/edges/remove`, body: edge, need: "write" },
  { method: "POST", path: `${ns}/graph/traverse`, body: { start: edge.source }, need: "read" },
  {
    method: "POST",
    path: `${ns}/graph/shortest-path`,
    body: { from: edge.source, to: edge.target },
    need: "read",
  },
  { method: "GET", path: entity, need: "read" },
  { method: "PUT", path: entity, body: { properties: { owned: true } }, need: "write" },
  { method: "DELETE", path: entity, need: "write" },
  { method: "GET", path: `${entity}/neighbors`, need: "read" },
  { method: "GET", path: `${ns}/graph/export`, need: "read" },
  {
    method: "POST",
    path: `${ns}/graph/import`,
    body: { data: { version: 1, entities: [], edges: [] } },
    need: "write",
  },
  { method: "POST", path: "/v1/keys", body: { admin: true }, need: "admin" },
  { method: "GET", path: "/v1/keys", need: "admin" },
  { method: "DELETE", path: "/v1/keys/some-key", need: "admin" },
  { method: "GET", path: "/v1/audit", need: "admin" },
];
