/**
 * Chooses the server's embedder from flags or `LOCI_EMBEDDINGS_*` environment variables.
 *
 * @module
 */
import {
  type Embedder,
  HashEmbedder,
  OpenAICompatibleEmbedder,
  UseLiteEmbedder,
  ValidationError,
} from "@loci/engine";

/** Embedder choice. */
export interface EmbedderConfig {
  /** @default "use-lite" */
  kind?: "use-lite" | "hash" | "openai";
  /** OpenAI-compatible base URL (e.g. `http://localhost:11434/v1`). Env: LOCI_EMBEDDINGS_URL */
  url?: string;
  /** Model name. Env: LOCI_EMBEDDINGS_MODEL */
  model?: string;
  /** API key. Env: LOCI_EMBEDDINGS_KEY */
  apiKey?: string;
  /** Vector dimension (required for openai). Env: LOCI_EMBEDDINGS_DIMENSIONS */
  dimensions?: number;
}

/** Builds the embedder; throws INVALID_ARGUMENT with the missing setting named. */
export function createEmbedder(cfg: EmbedderConfig, env: NodeJS.ProcessEnv = process.env): Embedder {
  const kind = cfg.kind ?? (env.LOCI_EMBEDDER as EmbedderConfig["kind"]) ?? "use-lite";
  switch (kind) {
    case "use-lite":
      return new UseLiteEmbedder();
    case "hash":
      return new HashEmbedder({ ...(cfg.dimensions ? { dimensions: cfg.dimensions } : {}) });
    case "openai": {
      const baseUrl = cfg.url ?? env.LOCI_EMBEDDINGS_URL;
      const model = cfg.model ?? env.LOCI_EMBEDDINGS_MODEL;
      const dimensions = cfg.dimensions ?? Number(env.LOCI_EMBEDDINGS_DIMENSIONS);
      const apiKey = cfg.apiKey ?? env.LOCI_EMBEDDINGS_KEY;
      if (!baseUrl || !model || !Number.isInteger(dimensions) || dimensions <= 0) {
        throw new ValidationError({
          message:
            "the openai embedder needs a URL, a model and dimensions (--embeddings-url/--embeddings-model/--embeddings-dimensions or LOCI_EMBEDDINGS_URL/MODEL/DIMENSIONS)",
        });
      }
      return new OpenAICompatibleEmbedder({ baseUrl, model, dimensions, ...(apiKey ? { apiKey } : {}) });
    }
    default:
      throw new ValidationError({ message: `unknown embedder "${String(kind)}" (use-lite, hash or openai)` });
  }
}
