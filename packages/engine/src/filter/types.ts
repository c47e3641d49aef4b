/**
 * The metadata filter language (SPEC §4).
 *
 * A filter is a JSON object. Each non-`$` key is a field path (dots reach nested fields) whose value
 * is either a bare value (equality) or an operator object (`{ $gte: 3 }`); `$and`, `$or` take arrays of
 * filters and `$not` takes one filter. All entries of one object must hold (implicit AND).
 *
 * @example
 * ```ts
 * { customer_id: "cust_42", "ticket.severity": { $gte: 3 }, $or: [{ tags: { $contains: "vip" } }, { tier: { $in: ["gold", "platinum"] } }] }
 * ```
 * @module
 */

/** Field operators. */
export const FIELD_OPERATORS = [
  "$eq",
  "$ne",
  "$gt",
  "$gte",
  "$lt",
  "$lte",
  "$in",
  "$nin",
  "$exists",
  "$contains",
] as const;
/** Logical operators. */
export const LOGICAL_OPERATORS = ["$and", "$or", "$not"] as const;

export type FieldOperator = (typeof FIELD_OPERATORS)[number];
export type LogicalOperator = (typeof LOGICAL_OPERATORS)[number];

/** A metadata filter. Validated at run time: unknown operators are `INVALID_FILTER`. */
export type Filter = { [fieldOrOperator: string]: unknown };

/** A compiled, validated filter: a predicate over a metadata object. */
export type FilterPredicate = (metadata: Readonly<Record<string, unknown>>) => boolean;

/** Bounds checked while compiling (a filter crossing them is `INVALID_FILTER`). */
export interface FilterLimits {
  /** Maximum nesting of `$and` / `$or` / `$not` and operator objects. @default 8 */
  maxDepth: number;
  /** Maximum number of conditions in the whole filter. @default 256 */
  maxConditions: number;
  /** Maximum length of an `$in` / `$nin` list. @default 1024 */
  maxListLength: number;
}

/** Default {@link FilterLimits}. */
export const DEFAULT_FILTER_LIMITS: FilterLimits = { maxDepth: 8, maxConditions: 256, maxListLength: 1024 };
