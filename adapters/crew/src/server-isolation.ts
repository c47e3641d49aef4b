/**
 * Isolation against a real server: one API key per agent, created through `POST /v1/keys` with the
 * admin key, scoped to the agent's private namespace and the shared one (read + write) and the
 * coordinator namespace (read). Each agent then acts with its own client, so reading another agent's
 * private namespace is refused by the server (403), not by a filter.
 *
 * @module
 */
import type { MemoryClient } from "@loci/engine";
import type { CrewNamespaces } from "./namespaces.js";

/** The raw-request side of a client (`LociClient.http` has this shape). */
export interface RawRequester {
  request<T>(req: {
    method: "POST";
    path: string;
    body: unknown;
    safe: boolean;
  }): Promise<{ status: number; body: T }>;
}

/** A server client: a {@link MemoryClient} that can also send raw requests (e.g. `LociClient`). */
export type ServerClient = MemoryClient & { readonly http: RawRequester };

/** Opens a client with an API key, e.g. `(apiKey) => new LociClient({ baseUrl, apiKey })`. */
export type ConnectFn = (apiKey: string) => ServerClient;

/** A scope of `POST /v1/keys`. */
export interface KeyScope {
  namespaces: string[];
  permissions: ("read" | "write")[];
}

/** The scopes of one agent's key. */
export function agentScopes(layout: CrewNamespaces, role: string): KeyScope[] {
  return [
    { namespaces: [layout.privateOf(role), layout.shared], permissions: ["read", "write"] },
    { namespaces: [layout.coordinator], permissions: ["read"] },
  ];
}

/** Creates a scoped key for every role and returns a client per role (keyed by role). */
export async function provisionAgentClients(opts: {
  admin: ServerClient;
  connect: ConnectFn;
  layout: CrewNamespaces;
  roles: readonly string[];
  /** Prefix of key names. */
  keyName: string;
  /** Optional expiry of the keys (ISO date). */
  expiresAt?: string;
}): Promise<Map<string, ServerClient>> {
  const clients = new Map<string, ServerClient>();
  for (const role of opts.roles) {
    const { body } = await opts.admin.http.request<{ id: string; key: string }>({
      method: "POST",
      path: "/v1/keys",
      body: {
        name: `${opts.keyName}-${opts.layout.privateOf(role)}`.slice(0, 128),
        scopes: agentScopes(opts.layout, role),
        ...(opts.expiresAt ? { expires_at: opts.expiresAt } : {}),
      },
      safe: false,
    });
    clients.set(role, opts.connect(body.key));
  }
  return clients;
}
