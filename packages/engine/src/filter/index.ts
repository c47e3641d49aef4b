/**
 * The metadata filter language: types, limits and the compiler.
 *
 * @module
 */
export { compileFilter, getPath, matchesFilter } from "./compile.js";
export {
  DEFAULT_FILTER_LIMITS,
  FIELD_OPERATORS,
  type FieldOperator,
  type Filter,
  type FilterLimits,
  type FilterPredicate,
  LOGICAL_OPERATORS,
  type LogicalOperator,
} from "./types.js";
