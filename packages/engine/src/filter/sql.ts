/**
 * Compiles a metadata {@link Filter} to a parameterised PostgreSQL boolean over a `jsonb` column, with
 * exactly the semantics of {@link compileFilter} (SPEC §4), so a storage driver can push filters into
 * its queries. The filter is validated by {@link compileFilter} first (same `INVALID_FILTER` errors);
 * every operand and path segment is a bind parameter, never SQL text.
 *
 * How each piece maps (`v` is the field's value, SQL `NULL` when the path does not resolve):
 * - path: `doc #> $n::text[]`. Postgres indexes arrays with any integer-looking segment (`"01"`,
 *   `"-1"`, `" 2"`), the JS lookup only with canonical ones (`"0"`, `"12"`), so such segments are
 *   looked up as object keys only.
 * - `$eq`: `v = $n::jsonb` (jsonb equality is deep JSON equality: keys in any order, arrays in order,
 *   numbers by value). `$ne` / `$nin` are the exact negations (every clause is `NULL`-free).
 * - `$gt` …: `jsonb_typeof(v)` must match the operand's type; strings compare with `COLLATE "C"`.
 * - `$in`: `v` equals an element, or `v` is an array holding an element; `$contains`: an array
 *   element equals the operand, or a string field contains the string operand (`strpos`).
 * - `$exists`: `v IS [NOT] NULL` (JSON `null` exists).
 *
 * Known differences, both outside what JSON metadata normally holds: strings compare by code point in
 * Postgres and by UTF-16 code unit in JS, which disagree only between U+E000–U+FFFF and characters
 * above U+FFFF; and a driver that maps strings before storing them (`mapString`, e.g. to escape
 * U+0000, which `jsonb` cannot hold) makes range and substring tests run on the mapped strings.
 *
 * @example
 * ```ts
 * const params: unknown[] = [namespaceId];
 * const where = compileFilterSql({ tier: { $in: ["gold"] } }, { column: "m.metadata", params });
 * await pool.query(`SELECT seq FROM memories m WHERE ns_id = $1 AND ${where}`, params);
 * ```
 * @module
 */
import { compileFilter } from "./compile.js";
import type { FilterLimits } from "./types.js";

/** Options of {@link compileFilterSql}. */
export interface FilterSqlOptions {
  /** The SQL expression of the `jsonb` document (a trusted, already-quoted column reference). */
  column: string;
  /** Bind parameters of the surrounding query: the filter's are appended, numbered after them. */
  params: unknown[];
  /** Maps every string (values and keys) the way the driver stored it. @default identity */
  mapString?: (s: string) => string;
  /** Filter limits, as for {@link compileFilter}. */
  limits?: Partial<FilterLimits>;
}

type Obj = Record<string, unknown>;

const CANONICAL_INDEX = /^(?:0|[1-9][0-9]{0,14})$/;
/** Segments Postgres would use as an array index but the JS lookup would not. */
const LOOSE_INDEX = /^\s*[+-]?[0-9]+$/;

function isOperatorObject(v: unknown): v is Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length > 0 && keys.every((k) => k.startsWith("$"));
}

class SqlCompiler {
  readonly #params: unknown[];
  readonly #column: string;
  readonly #map: (s: string) => string;

  constructor(opts: FilterSqlOptions) {
    this.#params = opts.params;
    this.#column = opts.column;
    this.#map = opts.mapString ?? ((s) => s);
  }

  #param(value: unknown): string {
    this.#params.push(value);
    return `$${this.#params.length}`;
  }

  /** A JSON value as a jsonb parameter (strings and keys mapped; `__proto__` stays a plain key). */
  #json(value: unknown): string {
    return `${this.#param(JSON.stringify(this.#mapJson(value)))}::jsonb`;
  }

  #mapJson(v: unknown): unknown {
    if (typeof v === "string") return this.#map(v);
    if (Array.isArray(v)) return v.map((x) => this.#mapJson(x));
    if (typeof v === "object" && v !== null) {
      const out: Obj = Object.create(null);
      for (const [k, x] of Object.entries(v)) out[this.#map(k)] = this.#mapJson(x);
      return out;
    }
    return v;
  }

  /** The SQL expression of a dotted path's value (`NULL` when missing). */
  #path(path: string): string {
    let expr = this.#column;
    let run: string[] = [];
    const flush = () => {
      if (run.length) expr = `(${expr} #> ${this.#param(run)}::text[])`;
      run = [];
    };
    for (const raw of path.split(".")) {
      const seg = this.#map(raw);
      if (LOOSE_INDEX.test(raw) && !CANONICAL_INDEX.test(raw)) {
        flush();
        expr = `(SELECT CASE WHEN jsonb_typeof(p.x) = 'object' THEN p.x -> ${this.#param(seg)}::text END FROM (SELECT ${expr} AS x) AS p)`;
      } else run.push(seg);
    }
    flush();
    return expr;
  }

  node(filter: Obj): string {
    const parts = Object.keys(filter).map((key) => {
      const value = filter[key];
      if (key === "$and" || key === "$or") {
        const subs = (value as Obj[]).map((f) => this.node(f));
        return `(${subs.join(key === "$and" ? " AND " : " OR ")})`;
      }
      if (key === "$not") return `(NOT ${this.node(value as Obj)})`;
      const v = this.#path(key);
      if (!isOperatorObject(value)) return this.#eq(v, value);
      const ops = Object.keys(value).map((op) => this.#operator(v, op, value[op]));
      return ops.length === 1 ? ops[0]! : `(${ops.join(" AND ")})`;
    });
    return parts.length === 0 ? "TRUE" : parts.length === 1 ? parts[0]! : `(${parts.join(" AND ")})`;
  }

  #eq(v: string, operand: unknown): string {
    return `COALESCE(${v} = ${this.#json(operand)}, FALSE)`;
  }

  #in(v: string, list: unknown[]): string {
    const elements = `SELECT jsonb_array_elements(${this.#json(list)})`;
    return `(COALESCE(${v} IN (${elements}), FALSE) OR CASE WHEN jsonb_typeof(${v}) = 'array' THEN EXISTS (SELECT 1 FROM jsonb_array_elements(${v}) AS a(x) WHERE a.x IN (${elements})) ELSE FALSE END)`;
  }

  #operator(v: string, op: string, operand: unknown): string {
    switch (op) {
      case "$eq":
        return this.#eq(v, operand);
      case "$ne":
        return `(NOT ${this.#eq(v, operand)})`;
      case "$in":
        return this.#in(v, operand as unknown[]);
      case "$nin":
        return `(NOT ${this.#in(v, operand as unknown[])})`;
      case "$exists":
        return operand ? `(${v} IS NOT NULL)` : `(${v} IS NULL)`;
      case "$contains": {
        const text =
          typeof operand === "string"
            ? `strpos((${v} #>> '{}') COLLATE "C", ${this.#param(this.#map(operand))}::text) > 0`
            : "FALSE";
        return `(CASE jsonb_typeof(${v}) WHEN 'array' THEN EXISTS (SELECT 1 FROM jsonb_array_elements(${v}) AS a(x) WHERE a.x = ${this.#json(operand)}) WHEN 'string' THEN ${text} ELSE FALSE END)`;
      }
      default: {
        const cmp = { $gt: ">", $gte: ">=", $lt: "<", $lte: "<=" }[op]!;
        if (typeof operand === "number") {
          return `COALESCE(jsonb_typeof(${v}) = 'number' AND ${v} ${cmp} ${this.#json(operand)}, FALSE)`;
        }
        const s = this.#param(this.#map(operand as string));
        return `COALESCE(jsonb_typeof(${v}) = 'string' AND (${v} #>> '{}') COLLATE "C" ${cmp} ${s}::text, FALSE)`;
      }
    }
  }
}

/**
 * Validates `filter` (throwing `INVALID_FILTER` exactly as {@link compileFilter} does) and returns a
 * SQL boolean expression over `opts.column`, appending its bind parameters to `opts.params`.
 * The expression is never `NULL`.
 */
export function compileFilterSql(filter: unknown, opts: FilterSqlOptions): string {
  compileFilter(filter, opts.limits);
  return new SqlCompiler(opts).node(filter as Obj);
}
