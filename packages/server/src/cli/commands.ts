/** CLI commands that talk to a running server: keys, namespaces, search, delete. */

import type { Filter } from "@loci/engine";
import { clientFrom, parse, positional, UsageError } from "./args.js";
import { allPages } from "./pages.js";

function scopesFrom(values: string[]): { namespaces: string[]; permissions: string[] }[] {
  return values.map((v) => {
    const [ns, perms] = v.split(":");
    if (!ns || !perms)
      throw new UsageError(`--scope must look like "researcher,team-*:read,write" (got "${v}")`);
    return { namespaces: ns.split(","), permissions: perms.split(",") };
  });
}

export async function keysCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {
    name: { type: "string" },
    admin: { type: "boolean" },
    scope: { type: "string", multiple: true },
    "expires-at": { type: "string" },
    tenant: { type: "string" },
  });
  const client = clientFrom(values);
  const sub = positional(positionals, 0, "create|list|revoke");
  if (sub === "create") {
    const body = {
      ...(values.name ? { name: values.name } : {}),
      ...(values.admin
        ? { admin: true }
        : { scopes: scopesFrom((values.scope as string[] | undefined) ?? []) }),
      ...(values["expires-at"] ? { expires_at: values["expires-at"] } : {}),
      ...(values.tenant ? { tenant: values.tenant } : {}),
    };
    const { body: key } = await client.http.request<{ id: string; key: string }>({
      method: "POST",
      path: "/v1/keys",
      body,
      safe: false,
    });
    console.log(`id:  ${key.id}\nkey: ${key.key}\n(the key is shown once; store it now)`);
  } else if (sub === "list") {
    const { body } = await client.http.request<{ items: Record<string, unknown>[] }>({
      method: "GET",
      path: "/v1/keys",
      safe: true,
    });
    for (const k of body.items) {
      const scopes = (k.scopes as { namespaces: string[]; permissions: string[] }[])
        .map((s) => `${s.namespaces.join(",")}:${s.permissions.join(",")}`)
        .join(" ");
      console.log(`${k.id}\t${k.role}\t${k.name || "-"}\t${scopes || "-"}${k.revoked_at ? "\trevoked" : ""}`);
    }
  } else if (sub === "revoke") {
    const id = positional(positionals, 1, "id");
    await client.http.request({ method: "DELETE", path: `/v1/keys/${encodeURIComponent(id)}`, safe: false });
    console.log(`revoked ${id}`);
  } else throw new UsageError(`unknown keys command "${sub}"`);
}

export async function namespacesCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { description: { type: "string" } });
  const client = clientFrom(values);
  const sub = positional(positionals, 0, "list|create|delete");
  if (sub === "list") {
    for await (const namespaces of allPages((o) => client.namespace.list(o)))
      for (const ns of namespaces) console.log(`${ns.name}\t${ns.memoryCount}\t${ns.description}`);
  } else if (sub === "create") {
    const ns = await client.namespace.create({
      name: positional(positionals, 1, "name"),
      ...(values.description ? { description: values.description as string } : {}),
    });
    console.log(`created ${ns.name}`);
  } else if (sub === "delete") {
    const name = positional(positionals, 1, "name");
    console.log(
      (await client.namespace.delete({ namespace: name })) ? `deleted ${name}` : `no namespace ${name}`,
    );
  } else throw new UsageError(`unknown namespaces command "${sub}"`);
}

export async function searchCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {
    limit: { type: "string" },
    mode: { type: "string" },
    filter: { type: "string" },
  });
  const client = clientFrom(values);
  const results = await client.memory.search({
    namespace: positional(positionals, 0, "namespace"),
    query: positional(positionals, 1, "query"),
    ...(values.limit ? { limit: Number(values.limit) } : {}),
    ...(values.mode ? { mode: values.mode as "hybrid" } : {}),
    ...(values.filter ? { metadataFilter: JSON.parse(values.filter as string) } : {}),
  });
  for (const r of results) {
    const s = r.scores;
    console.log(
      `${r.score.toFixed(3)}  ${r.memory.id}  ${r.memory.content.replace(/\s+/g, " ").slice(0, 100)}`,
    );
    console.log(
      `       vector ${s.vector.toFixed(3)} keyword ${s.keyword.toFixed(3)} retention ${s.retention.toFixed(3)} recency ${s.recency.toFixed(3)}`,
    );
  }
  if (results.length === 0) console.log("(no results)");
}

/** `loci delete <namespace> (--id ID … | --session S | --filter JSON)`: `memory.deleteMany`; all given must match. */
export async function deleteCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {
    id: { type: "string", multiple: true },
    session: { type: "string" },
    filter: { type: "string" },
  });
  const namespace = positional(positionals, 0, "namespace");
  const ids = values.id as string[] | undefined;
  if (!ids && !values.session && values.filter === undefined) {
    throw new UsageError(
      "loci delete <namespace> needs --id, --session or --filter (--filter '{}' deletes every memory)",
    );
  }
  let filter: unknown;
  if (values.filter !== undefined) {
    try {
      filter = JSON.parse(values.filter as string);
    } catch {
      throw new UsageError('--filter must be JSON, e.g. \'{"customer_id":"cust_42"}\'');
    }
  }
  const { deleted } = await clientFrom(values).memory.deleteMany({
    namespace,
    ...(ids ? { ids } : {}),
    ...(values.session ? { sessionId: values.session as string } : {}),
    ...(filter === undefined ? {} : { filter: filter as Filter }),
  });
  console.log(`deleted ${deleted} memories from ${namespace}`);
}

export async function tenantsCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {});
  const client = clientFrom(values);
  const sub = positional(positionals, 0, "create|list|delete|rekey");
  const name = () => encodeURIComponent(positional(positionals, 1, "name"));
  if (sub === "create") {
    const { body } = await client.http.request<{ name: string }>({
      method: "POST",
      path: "/v1/tenants",
      body: { name: positional(positionals, 1, "name") },
      safe: false,
    });
    console.log(
      `created tenant ${body.name} (create its first admin key: loci keys create --admin --tenant ${body.name})`,
    );
  } else if (sub === "list") {
    const { body } = await client.http.request<{ items: Record<string, unknown>[] }>({
      method: "GET",
      path: "/v1/tenants",
      safe: true,
    });
    for (const t of body.items)
      console.log(
        `${t.name}\t${t.encrypted ? "encrypted" : "plaintext"}\tkey v${t.key_version}\t${t.created_at}`,
      );
  } else if (sub === "delete") {
    await client.http.request({ method: "DELETE", path: `/v1/tenants/${name()}`, safe: false });
    console.log(`deleted tenant ${positionals[1]} (its key is destroyed)`);
  } else if (sub === "rekey") {
    const { body } = await client.http.request<{ key_version: number }>({
      method: "POST",
      path: `/v1/tenants/${name()}/rekey`,
      safe: false,
    });
    console.log(`rotated the key of ${positionals[1]} (now v${body.key_version})`);
  } else throw new UsageError(`unknown tenants command "${sub}"`);
}
