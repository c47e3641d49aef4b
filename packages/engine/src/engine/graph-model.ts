/**
 * Knowledge-graph identity and input validation (SPEC §2).
 *
 * - Entity identity = type + folded name, where folding is NFKC, whitespace collapsed to one space,
 *   trimmed, then case-folded (upper- then lower-cased, so `ß` ≡ `SS`). The key is `type:folded`
 *   (a type never contains `:`). The display name is the trimmed, whitespace-collapsed name first used.
 * - Entity types and edge types are `[a-z][a-z0-9_]*`, at most 64 characters; the built-in edge types
 *   are `relates_to`, `works_at`, `part_of` and `depends_on`.
 *
 * @module
 */
import { ValidationError } from "../errors.js";
import type { BuiltinEdgeType, EntityRef, GraphDirection } from "../graph-types.js";
import type { EntityLink } from "../storage/driver.js";

/** The built-in edge types. */
export const BUILTIN_EDGE_TYPES: readonly BuiltinEdgeType[] = [
  "relates_to",
  "works_at",
  "part_of",
  "depends_on",
];

/** Size limits of graph inputs. */
export const GRAPH_LIMITS = {
  typeChars: 64,
  nameChars: 256,
  entitiesPerMemory: 64,
  edgeTypesPerQuery: 64,
  maxTraverseDepth: 6,
  maxTraverseNodes: 10_000,
  maxSearchDepth: 4,
  importItems: 1_000_000,
} as const;

const TYPE_RE = /^[a-z][a-z0-9_]*$/;
const SPACE_RE = /\s+/gu;
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL_RE = /[\u0000-\u001f\u007f]/;
const WORD_SPLIT = /[^\p{L}\p{N}]+/u;

function fail(message: string, field: string): never {
  throw new ValidationError({ message, details: { field } });
}

/** The display form of a name: NFKC, whitespace collapsed, trimmed (case kept). */
export function displayName(name: string): string {
  return name.normalize("NFKC").replace(SPACE_RE, " ").trim();
}

/** The identity form of a name: its display form, case-folded. */
export function foldName(name: string): string {
  return displayName(name).toUpperCase().toLowerCase();
}

/** The key of an entity: `type:folded name`. */
export function entityKey(type: string, name: string): string {
  return `${type}:${foldName(name)}`;
}

/** The words of a folded text, for matching entity names in queries (stop words kept). */
export function words(folded: string): string[] {
  return folded.split(WORD_SPLIT).filter((w) => w.length > 0);
}

/** Checks an entity type or edge type: `[a-z][a-z0-9_]*`, 1–64 characters. */
export function assertTypeName(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length === 0 || value.length > GRAPH_LIMITS.typeChars) {
    fail(`${field} must be a string of 1-${GRAPH_LIMITS.typeChars} characters`, field);
  }
  if (!TYPE_RE.test(value)) {
    fail(`${field} "${value}" must match [a-z][a-z0-9_]* (lower-case letters, digits, "_")`, field);
  }
  return value;
}

/** Checks an edge type (a built-in one or a custom `[a-z][a-z0-9_]*` one). */
export function assertEdgeType(value: unknown, field = "edgeType"): string {
  return assertTypeName(value, field);
}

/** Checks an entity reference and returns it with its key and display name. */
export function toEntityLink(value: unknown, field: string): EntityLink {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(`${field} must be an object { type, name }`, field);
  }
  const { type, name } = value as Partial<EntityRef>;
  assertTypeName(type, `${field}.type`);
  if (typeof name !== "string") fail(`${field}.name must be a string`, `${field}.name`);
  const display = displayName(name);
  if (display.length === 0 || display.length > GRAPH_LIMITS.nameChars) {
    fail(`${field}.name must have 1-${GRAPH_LIMITS.nameChars} non-blank characters`, `${field}.name`);
  }
  if (CONTROL_RE.test(display)) fail(`${field}.name must not contain control characters`, `${field}.name`);
  return { key: `${type}:${display.toUpperCase().toLowerCase()}`, type: type!, name: display };
}

/** Checks an optional list of edge types; `null` means all types. */
export function toEdgeTypeSet(value: unknown, field = "edgeTypes"): ReadonlySet<string> | null {
  if (value === undefined) return null;
  if (!Array.isArray(value) || value.length === 0 || value.length > GRAPH_LIMITS.edgeTypesPerQuery) {
    fail(`${field} must be a list of 1-${GRAPH_LIMITS.edgeTypesPerQuery} edge types`, field);
  }
  return new Set(value.map((t, i) => assertEdgeType(t, `${field}[${i}]`)));
}

/** Checks an optional direction. */
export function toDirection(value: unknown, fallback: GraphDirection, field = "direction"): GraphDirection {
  if (value === undefined) return fallback;
  if (value !== "out" && value !== "in" && value !== "both")
    fail(`${field} must be "out", "in" or "both"`, field);
  return value;
}

/** Checks the `entities` of a memory input; duplicates (same identity) are dropped. */
export function toMemoryEntityLinks(value: unknown, field: string): EntityLink[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length > GRAPH_LIMITS.entitiesPerMemory) {
    fail(`${field} must be a list of at most ${GRAPH_LIMITS.entitiesPerMemory} entities`, field);
  }
  const byKey = new Map<string, EntityLink>();
  value.forEach((v, i) => {
    const link = toEntityLink(v, `${field}[${i}]`);
    if (!byKey.has(link.key)) byKey.set(link.key, link);
  });
  return [...byKey.values()];
}
