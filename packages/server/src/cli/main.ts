#!/usr/bin/env node
/**
 * The `loci` command line.
 *
 *   loci serve [--port 3300] [--host 127.0.0.1] [--data-dir ./loci-data] [--storage sqlite|postgres://…] [--embedder use-lite|hash|openai]
 *   loci keys create [--name N] [--tenant T] (--admin | --scope "researcher,team-*:read,write" …) | keys list | keys revoke <id>
 *   loci tenants create <name> | list | delete <name> | rekey <name>
 *   loci namespaces list | create <name> [--description D] | delete <name>
 *   loci export <namespace> [-o file.jsonl]        loci import <namespace> <file.jsonl> [--batch 500] [--skip-removed]
 *   loci search <namespace> <query> [--limit N] [--mode hybrid|vector|keyword] [--filter JSON]
 *   loci delete <namespace> [--id ID …] [--session S] [--filter JSON]   (at least one; all must match)
 *
 * Commands other than `serve` talk to a server: --url (LOCI_URL, default http://127.0.0.1:3300) and
 * --key (LOCI_API_KEY).
 */
import { LociError, storageFailure } from "@loci/engine";
import { UsageError } from "./args.js";
import { deleteCommand, keysCommand, namespacesCommand, searchCommand, tenantsCommand } from "./commands.js";
import { serveCommand } from "./serve.js";
import { exportCommand, importCommand } from "./transfer.js";

const USAGE = `usage: loci <command>

  serve        start the REST server (default port 3300)
  keys         create | list | revoke API keys
  tenants      create | list | delete | rekey tenants (root key)
  namespaces   list | create | delete namespaces
  export       write a namespace's memories as JSONL
  import       load JSONL into a namespace (idempotent, resumable)
  search       search a namespace
  delete       delete the memories matching --id, --session and/or --filter

Server commands use --url (LOCI_URL) and --key (LOCI_API_KEY).`;

const commands: Record<string, (argv: string[]) => Promise<void>> = {
  serve: serveCommand,
  keys: keysCommand,
  namespaces: namespacesCommand,
  export: exportCommand,
  import: importCommand,
  search: searchCommand,
  delete: deleteCommand,
  tenants: tenantsCommand,
};

const [name, ...rest] = process.argv.slice(2);
const command = name ? commands[name] : undefined;
if (!command || rest.includes("--help") || rest.includes("-h")) {
  console.log(USAGE);
  process.exit(command || name === undefined || name === "help" ? 0 : 2);
}
try {
  await command(rest);
} catch (err) {
  if (err instanceof UsageError || (err as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    console.error(`loci ${name}: ${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  const typed = LociError.isInstance(err) ? (storageFailure(err) ?? err) : storageFailure(err);
  if (typed) {
    console.error(`loci ${name}: ${typed.code}: ${typed.message}`);
    process.exit(1);
  }
  throw err;
}
