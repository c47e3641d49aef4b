/** `loci serve`: starts the REST server; SIGTERM/SIGINT shut it down gracefully. */
import { createEmbedder, type EmbedderConfig } from "../embedder-config.js";
import { startServer } from "../server.js";
import { parse } from "./args.js";

export async function serveCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    port: { type: "string", short: "p" },
    host: { type: "string" },
    "data-dir": { type: "string" },
    storage: { type: "string" },
    embedder: { type: "string" },
    "embeddings-url": { type: "string" },
    "embeddings-model": { type: "string" },
    "embeddings-key": { type: "string" },
    "embeddings-dimensions": { type: "string" },
  });
  const embedder = createEmbedder({
    ...(values.embedder ? { kind: values.embedder as EmbedderConfig["kind"] } : {}),
    ...(values["embeddings-url"] ? { url: String(values["embeddings-url"]) } : {}),
    ...(values["embeddings-model"] ? { model: String(values["embeddings-model"]) } : {}),
    ...(values["embeddings-key"] ? { apiKey: String(values["embeddings-key"]) } : {}),
    ...(values["embeddings-dimensions"] ? { dimensions: Number(values["embeddings-dimensions"]) } : {}),
  });
  const server = await startServer({
    embedder,
    port: Number(values.port ?? process.env.LOCI_PORT ?? 3300),
    host: String(values.host ?? process.env.LOCI_HOST ?? "127.0.0.1"),
    dataDir: String(values["data-dir"] ?? process.env.LOCI_DATA_DIR ?? "./loci-data"),
    storage: String(values.storage ?? process.env.LOCI_STORAGE ?? "sqlite"),
    auth: process.env.LOCI_AUTH !== "off",
  });
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
