/**
 * Request and response schemas of the REST API (zod, snake_case). The same schemas validate
 * requests at the boundary and generate `/openapi.json`. Structure is checked here; meaning
 * (ranges, name rules, filter operators) is checked by the engine, with the same error codes.
 *
 * @module
 */
import { z } from "@hono/zod-openapi";

const Json = z.unknown();
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
/**
 * A JSON object passed through as parsed — never re-built key by key, so keys such as
 * `__proto__` stay data (the engine validates and copies it safely).
 */
const jsonObject = (name: string, description: string, example: Record<string, unknown>) =>
  z
    .custom<Record<string, unknown>>(isObject, { message: "expected a JSON object" })
    .openapi(name, { type: "object", additionalProperties: true, description, example });
export const MetadataSchema = jsonObject("Metadata", "Any JSON object; round-trips unchanged", {
  customer_id: "cust_42",
});
const Time = z
  .union([z.string(), z.number()])
  .openapi({ description: "ISO-8601 string or epoch milliseconds" });
const Vector = z
  .array(z.number())
  .openapi({ description: "A precomputed embedding of the namespace's dimension" });
const Filter = jsonObject(
  "MetadataFilter",
  "Filter with $eq $ne $gt $gte $lt $lte $in $nin $exists $contains $and $or $not",
  { customer_id: "cust_42", severity: { $in: ["high", "critical"] } },
);
export const EntityRefSchema = z.object({ type: z.string(), name: z.string() }).strict().openapi("EntityRef");

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.record(z.string(), Json).optional(),
    }),
  })
  .openapi("Error");

export const ConfigInputSchema = z
  .object({
    decay_strategy: z.enum(["none", "exponential", "linear", "logarithmic", "step"]).optional(),
    decay_half_life_hours: z.number().optional(),
    max_memories: z.number().nullable().optional(),
    reinforce_on_access: z.boolean().optional(),
    sentence_vectors: z.boolean().optional(),
    vector_index: z
      .object({
        m: z.number().optional(),
        ef_construction: z.number().optional(),
        ef_search: z.number().optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .openapi("NamespaceConfigInput");

export const NamespaceCreateSchema = z
  .object({ name: z.string(), description: z.string().optional(), config: ConfigInputSchema.optional() })
  .strict()
  .openapi("NamespaceCreate", { example: { name: "team-shared", description: "finalized outputs" } });

export const NamespacePatchSchema = z
  .object({ description: z.string().optional(), config: ConfigInputSchema.optional() })
  .strict()
  .openapi("NamespacePatch");

export const NamespaceSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    memory_count: z.number(),
    config: z.object({
      decay_strategy: z.string(),
      decay_half_life_hours: z.number(),
      max_memories: z.number().nullable(),
      reinforce_on_access: z.boolean(),
      sentence_vectors: z.boolean(),
      vector_index: z.object({ m: z.number(), ef_construction: z.number(), ef_search: z.number() }),
      embedding: z.object({ model: z.string(), dimensions: z.number() }).nullable(),
    }),
    indexing: z
      .object({
        pending_vectors: z.number(),
        graph_rebuild_pending: z.number(),
        sentence_backfill_pending: z.number(),
      })
      .openapi({ description: "Background work still running on the namespace, in memories (0 when idle)" }),
  })
  .openapi("Namespace");

export const MemoryInputSchema = z
  .object({
    id: z.string().optional(),
    content: z.string(),
    metadata: MetadataSchema.optional(),
    session_id: z.string().optional(),
    agent_id: z.string().optional(),
    importance: z.number().optional(),
    created_at: Time.optional(),
    expires_at: Time.optional(),
    embedding: Vector.optional(),
    entities: z.array(EntityRefSchema).optional(),
  })
  .strict()
  .openapi("MemoryInput", {
    example: { content: "Acme renews in Q2", metadata: { customer_id: "cust_42" } },
  });

const RefuseRemovedIds = z.boolean().optional().openapi({
  description:
    "Refuse ids removed before (deleted, evicted, expired): nothing is written and the answer is 409 MEMORY_REMOVED",
});

const Dedupe = z.boolean().optional().openapi({
  description:
    "Store no copies: a memory repeating a stored one (same content, session, agent, metadata) answers with it",
});

/** The body of a single add: one memory, and the write's own options. */
export const MemoryAddSchema = MemoryInputSchema.extend({
  refuse_removed_ids: RefuseRemovedIds,
  dedupe: Dedupe,
})
  .strict()
  .openapi("MemoryAdd", { example: { content: "Acme renews in Q2", metadata: { customer_id: "cust_42" } } });

export const MemoryBatchSchema = z
  .object({ memories: z.array(MemoryInputSchema), refuse_removed_ids: RefuseRemovedIds, dedupe: Dedupe })
  .strict()
  .openapi("MemoryBatch");

/** The selectors a count and a delete-many share (those of a list, without paging). */
const selectorFields = {
  session_id: z.string().optional().openapi({ description: "The memories of this session" }),
  filter: Filter.optional().openapi({ description: "Metadata filter; {} matches every memory" }),
};

/** The body of a count. */
export const MemoryCountSchema = z
  .object(selectorFields)
  .strict()
  .openapi("MemoryCount", { example: { filter: { customer_id: "cust_42" } } });

/** The body of a delete-many: at least one selector (the engine says so when none is given). */
export const MemoryDeleteManySchema = z
  .object({
    ids: z.array(z.string()).optional().openapi({ description: "These ids (up to 1,000)" }),
    ...selectorFields,
  })
  .strict()
  .openapi("MemoryDeleteMany", { example: { filter: { customer_id: "cust_42" } } });

export const MemoryPatchSchema = z
  .object({
    content: z.string().optional(),
    metadata: MetadataSchema.optional(),
    importance: z.number().optional(),
    expires_at: Time.nullable().optional(),
    embedding: Vector.optional(),
  })
  .strict()
  .openapi("MemoryPatch");

export const MemorySchema = z
  .object({
    id: z.string(),
    namespace: z.string(),
    content: z.string(),
    metadata: MetadataSchema,
    session_id: z.string().nullable(),
    agent_id: z.string().nullable(),
    importance: z.number(),
    created_at: z.string(),
    updated_at: z.string(),
    last_accessed_at: z.string(),
    access_count: z.number(),
    expires_at: z.string().nullable(),
    entities: z.array(EntityRefSchema).optional(),
  })
  .openapi("Memory");

const searchFields = {
  query: z.string(),
  limit: z.number().optional(),
  metadata_filter: Filter.optional(),
  session_id: z.string().optional(),
  recency_weight: z.number().optional(),
  mode: z.enum(["hybrid", "vector", "keyword"]).optional(),
  min_score: z.number().optional(),
  query_embedding: Vector.optional(),
  graph: z
    .object({ depth: z.number().optional(), weight: z.number().optional(), expand: z.boolean().optional() })
    .strict()
    .optional(),
  fusion: z.enum(["weighted", "rrf"]).optional(),
  vector_weight: z.number().optional(),
  neighbors: z
    .union([
      z.literal(false),
      z.object({ window: z.number().optional(), weight: z.number().optional() }).strict(),
    ])
    .optional(),
  length_prior: z
    .union([
      z.literal(false),
      z.object({ weight: z.number().optional(), terms: z.number().optional() }).strict(),
    ])
    .optional(),
  time: z
    .union([
      z.literal(false),
      z
        .object({
          mode: z.enum(["boost", "filter"]).optional(),
          weight: z.number().optional(),
          reference_time: z.union([z.string(), z.number()]).optional(),
        })
        .strict(),
    ])
    .optional(),
};
export const SearchSchema = z
  .object(searchFields)
  .strict()
  .openapi("Search", { example: { query: "renewal", limit: 5 } });
export const MultiSearchSchema = z
  .object({ namespaces: z.array(z.string()), ...searchFields })
  .strict()
  .openapi("MultiSearch", { example: { namespaces: ["researcher", "team-shared"], query: "renewal" } });

export const SearchResultsSchema = z
  .object({
    results: z.array(
      z.object({
        memory: MemorySchema,
        namespace: z.string(),
        score: z.number(),
        scores: z.record(z.string(), z.number()),
      }),
    ),
  })
  .openapi("SearchResults");

export const SessionCreateSchema = z
  .object({ metadata: MetadataSchema.optional(), id: z.string().optional() })
  .strict()
  .openapi("SessionCreate");

export const SessionSchema = z
  .object({
    id: z.string(),
    namespace: z.string(),
    metadata: MetadataSchema,
    created_at: z.string(),
    ended_at: z.string().nullable(),
    memory_count: z.number(),
  })
  .openapi("Session");

const ScopeSchema = z
  .object({ namespaces: z.array(z.string()), permissions: z.array(z.enum(["read", "write"])) })
  .strict();
export const KeyCreateSchema = z
  .object({
    name: z.string().optional(),
    admin: z.boolean().optional(),
    scopes: z.array(ScopeSchema).optional(),
    expires_at: Time.optional(),
    tenant: z.string().optional().openapi({ description: "Root only: the tenant the key belongs to" }),
  })
  .strict()
  .openapi("KeyCreate", {
    example: {
      name: "researcher",
      scopes: [{ namespaces: ["researcher", "team-*"], permissions: ["read", "write"] }],
    },
  });

export const KeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.string(),
    scopes: z.array(ScopeSchema),
    created_at: z.string(),
    expires_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
    key: z.string().optional().openapi({ description: "The secret, returned once at creation" }),
  })
  .openapi("ApiKey");

/** A page of items. */
export function pageOf<T extends z.ZodType>(item: T, name: string) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable() }).openapi(name);
}

export const NsParam = z.object({ ns: z.string().openapi({ param: { name: "ns", in: "path" } }) });
export const IdParam = NsParam.extend({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });
export const PageQuery = z.object({ cursor: z.string().optional(), limit: z.coerce.number().optional() });

const EdgeTypes = z.array(z.string()).optional();
const Direction = z.enum(["out", "in", "both"]).optional();
export const EdgeInputSchema = z
  .object({
    source: EntityRefSchema,
    target: EntityRefSchema,
    edge_type: z.string(),
    metadata: MetadataSchema.optional(),
  })
  .strict()
  .openapi("EdgeInput", {
    example: {
      source: { type: "person", name: "Alice Chen" },
      target: { type: "company", name: "Acme Corp" },
      edge_type: "works_at",
      metadata: { discovered_by: "researcher", confidence: 0.9 },
    },
  });
export const EdgeBatchSchema = z
  .object({ edges: z.array(EdgeInputSchema) })
  .strict()
  .openapi("EdgeBatch");
export const EdgeRemoveSchema = z
  .object({ source: EntityRefSchema, target: EntityRefSchema, edge_type: z.string() })
  .strict()
  .openapi("EdgeRemove");
export const EdgeSchema = z
  .object({
    source: EntityRefSchema,
    target: EntityRefSchema,
    edge_type: z.string(),
    metadata: MetadataSchema,
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Edge");
export const EntitySchema = z
  .object({
    type: z.string(),
    name: z.string(),
    properties: MetadataSchema,
    created_at: z.string(),
    updated_at: z.string(),
    out_edges: z.array(EdgeSchema).optional(),
    in_edges: z.array(EdgeSchema).optional(),
  })
  .openapi("Entity");
export const EntityPutSchema = z
  .object({ properties: MetadataSchema.optional() })
  .strict()
  .openapi("EntityPut");
export const TraverseSchema = z
  .object({
    start: EntityRefSchema,
    max_depth: z.number().optional(),
    edge_types: EdgeTypes,
    direction: Direction,
    limit: z.number().optional(),
  })
  .strict()
  .openapi("Traverse", { example: { start: { type: "person", name: "Alice Chen" }, max_depth: 2 } });
export const TraversalSchema = z
  .object({
    nodes: z.array(
      z.object({ type: z.string(), name: z.string(), depth: z.number(), properties: MetadataSchema }),
    ),
    edges: z.array(EdgeSchema),
    paths: z.array(z.string()),
    truncated: z.boolean(),
  })
  .openapi("Traversal");
export const ShortestPathSchema = z
  .object({ from: EntityRefSchema, to: EntityRefSchema, edge_types: EdgeTypes, direction: Direction })
  .strict()
  .openapi("ShortestPathRequest");
export const GraphImportSchema = z
  .object({
    data: z
      .object({ version: z.literal(1), entities: z.array(z.unknown()), edges: z.array(z.unknown()) })
      .passthrough(),
    mode: z.literal("merge").optional(),
  })
  .strict()
  .openapi("GraphImport");
export const EntityParam = NsParam.extend({
  type: z.string().openapi({ param: { name: "type", in: "path" } }),
  name: z.string().openapi({ param: { name: "name", in: "path" } }),
});
