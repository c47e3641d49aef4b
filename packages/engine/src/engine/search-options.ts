/**
 * Validation of the ranking extras of `memory.search`: the session-neighbour boost, query
 * time expressions and the length prior (defaults chosen by the recall benchmark, `test/bench/README.md`).
 *
 * @module
 */
import { ValidationError } from "../errors.js";
import type { LengthPriorOptions, NeighborSearchOptions, SearchMode, TimeSearchOptions } from "../types.js";
import { assertInteger, assertNumberInRange, toEpochMs } from "../validation.js";
import type { RankParams } from "./ranking.js";
import { parseTimeExpressions } from "./time-expressions.js";

/** Default session-neighbour window (memories on each side). */
export const NEIGHBOR_WINDOW = 3;
/** Default β: the weight of the session-context score in relevance. */
export const NEIGHBOR_WEIGHT = 0.35;
/** Default τ: the weight of the time score in relevance, when the query names a time. */
export const TIME_WEIGHT = 0.3;
/** Default λ of the length prior (when it is on). */
export const LENGTH_PRIOR_WEIGHT = 0.2;
/** Default length (index terms) from which the length prior counts a memory in full. */
export const LENGTH_PRIOR_TERMS = 20;

function assertObject(
  value: unknown,
  field: string,
  shape: string,
): asserts value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ValidationError({
      message: `${field} must be false or an object ${shape}`,
      details: { field },
    });
  }
}

/** Validates the `neighbors` option (on by default in hybrid mode only). */
export function neighborOptions(
  value: NeighborSearchOptions | false | undefined,
  mode: SearchMode,
): RankParams["neighbors"] {
  if (value === false || (value === undefined && mode !== "hybrid")) return null;
  if (value === undefined) return { window: NEIGHBOR_WINDOW, weight: NEIGHBOR_WEIGHT };
  assertObject(value, "neighbors", "{ window?, weight? }");
  return {
    window:
      value.window === undefined ? NEIGHBOR_WINDOW : assertInteger(value.window, "neighbors.window", 1, 5),
    weight:
      value.weight === undefined
        ? NEIGHBOR_WEIGHT
        : assertNumberInRange(value.weight, "neighbors.weight", 0, 1),
  };
}

/** Validates the `lengthPrior` option (off unless given). */
export function lengthPriorOptions(value: LengthPriorOptions | false | undefined): RankParams["lengthPrior"] {
  if (value === false || value === undefined) return null;
  assertObject(value, "lengthPrior", "{ weight?, terms? }");
  return {
    weight:
      value.weight === undefined
        ? LENGTH_PRIOR_WEIGHT
        : assertNumberInRange(value.weight, "lengthPrior.weight", 0, 1),
    terms:
      value.terms === undefined
        ? LENGTH_PRIOR_TERMS
        : assertInteger(value.terms, "lengthPrior.terms", 1, 1000),
  };
}

/**
 * Validates the `time` option (off unless given) and parses the query's time expressions. Returns
 * the ranking input (`null` when off or no time is named) and the keyword query (the expressions removed).
 */
export function timeOptions(
  value: TimeSearchOptions | false | undefined,
  query: string,
  now: number,
): { time: RankParams["time"]; keywordQuery: string } {
  if (value === false || value === undefined) return { time: null, keywordQuery: query };
  assertObject(value, "time", "{ mode?, weight?, referenceTime? }");
  const opts: TimeSearchOptions = value;
  if (opts.mode !== undefined && opts.mode !== "boost" && opts.mode !== "filter") {
    throw new ValidationError({
      message: 'time.mode must be "boost" or "filter"',
      details: { field: "time.mode" },
    });
  }
  const weight =
    opts.weight === undefined ? TIME_WEIGHT : assertNumberInRange(opts.weight, "time.weight", 0, 1);
  const reference =
    opts.referenceTime === undefined ? now : toEpochMs(opts.referenceTime, "time.referenceTime");
  const parsed = parseTimeExpressions(query, reference);
  if (parsed.ranges.length === 0) return { time: null, keywordQuery: query };
  return {
    time: { ranges: parsed.ranges, weight, filter: opts.mode === "filter" },
    keywordQuery: parsed.rest,
  };
}
