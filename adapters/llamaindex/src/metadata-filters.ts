/**
 * {@link toLociFilter}: LlamaIndex metadata filters as a Loci filter.
 *
 * @module
 */
import type { MetadataFilter, MetadataFilters } from "@llamaindex/core/vector-store";
import type { Filter } from "@loci/engine";

/**
 * Translates LlamaIndex `MetadataFilters` into a Loci metadata filter.
 *
 * Every LlamaIndex operator is mapped: `==` `!=` `>` `<` `>=` `<=` → `$eq` `$ne` `$gt` `$lt` `$gte`
 * `$lte`; `in`/`any` → `$in`; `nin` → `$nin`; `all` → `$and` of `$contains`; `contains` and
 * `text_match` → `$contains` (element of an array field / substring of a string field);
 * `is_empty` → missing, `null`, `""` or `[]`. `condition: "or"` → `$or`, otherwise `$and`. As in
 * LlamaIndex's `SimpleVectorStore`, a node without the key matches no operator but `is_empty`
 * (so `!=` and `nin` also require the key).
 *
 * @throws {Error} on an unknown operator or a value of the wrong shape.
 */
export function toLociFilter(filters: MetadataFilters | undefined): Filter | undefined {
  if (!filters || filters.filters.length === 0) return undefined;
  const parts = filters.filters.map(toLociCondition);
  const condition = filters.condition ?? "and";
  if (condition !== "and" && condition !== "or") {
    throw new Error(
      `LociVectorStore: unsupported filter condition "${String(condition)}" (use "and" or "or")`,
    );
  }
  return condition === "or" ? { $or: parts } : { $and: parts };
}

function toLociCondition(f: MetadataFilter): Filter {
  const { key, value, operator } = f;
  if (typeof key !== "string" || key === "")
    throw new Error("LociVectorStore: a metadata filter needs a key");
  const need = (): NonNullable<MetadataFilter["value"]> => {
    if (value === undefined || value === null) {
      throw new Error(`LociVectorStore: filter operator "${operator}" on "${key}" needs a value`);
    }
    return value;
  };
  const scalar = (): string | number => {
    const v = need();
    if (Array.isArray(v))
      throw new Error(`LociVectorStore: filter operator "${operator}" on "${key}" needs a single value`);
    return v;
  };
  const list = (): (string | number)[] => {
    const v = need();
    return Array.isArray(v) ? [...v] : [v];
  };
  switch (operator) {
    case "==":
      return { [key]: { $eq: scalar() } };
    case "!=":
      // LlamaIndex: every operator but is_empty is false when the key is missing.
      return { [key]: { $exists: true, $ne: scalar() } };
    case ">":
      return { [key]: { $gt: scalar() } };
    case "<":
      return { [key]: { $lt: scalar() } };
    case ">=":
      return { [key]: { $gte: scalar() } };
    case "<=":
      return { [key]: { $lte: scalar() } };
    case "in":
    case "any":
      return { [key]: { $in: list() } };
    case "nin":
      return { [key]: { $exists: true, $nin: list() } };
    case "all": {
      const values = list();
      if (values.length === 0)
        throw new Error(`LociVectorStore: filter operator "all" on "${key}" needs values`);
      return { $and: values.map((v) => ({ [key]: { $contains: v } })) };
    }
    case "contains":
      return { [key]: { $contains: scalar() } };
    case "text_match": {
      const v = scalar();
      if (typeof v !== "string")
        throw new Error(`LociVectorStore: filter operator "text_match" on "${key}" needs a string`);
      return { [key]: { $contains: v } };
    }
    case "is_empty":
      return {
        $or: [
          { [key]: { $exists: false } },
          { [key]: { $eq: null } },
          { [key]: { $eq: "" } },
          { [key]: { $eq: [] } },
        ],
      };
    default:
      throw new Error(`LociVectorStore: unsupported metadata filter operator "${String(operator)}"`);
  }
}
