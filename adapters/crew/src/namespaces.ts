/**
 * The crew's namespace layout: `<prefix>-shared`, `<prefix>-coordinator` and one private
 * `<prefix>-<role slug>` per agent.
 *
 * @module
 */
import { CrewError } from "./errors.js";

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const RESERVED = new Set(["shared", "coordinator"]);

/** Lower-case slug of an agent role: `"Senior Researcher"` → `"senior-researcher"`. */
export function slugify(role: string): string {
  return role
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** The namespaces one crew uses. */
export interface CrewNamespaces {
  /** Finalized task outputs, readable and writable by every agent. */
  shared: string;
  /** Assignments and status transitions, written by the coordinator, readable by agents. */
  coordinator: string;
  /** An agent's private namespace. */
  privateOf(role: string): string;
}

/**
 * Builds the layout for a crew prefix.
 *
 * @throws {CrewError} INVALID_CONFIG for a prefix that is not a valid namespace name
 */
export function crewNamespaces(prefix: string): CrewNamespaces {
  if (!NAME_RE.test(prefix) || prefix.length > 96) {
    throw new CrewError("INVALID_CONFIG", `crew namespace "${prefix}" must match [A-Za-z0-9][A-Za-z0-9._-]*`);
  }
  return {
    shared: `${prefix}-shared`,
    coordinator: `${prefix}-coordinator`,
    privateOf(role) {
      const slug = slugify(role);
      if (slug.length === 0 || RESERVED.has(slug)) {
        throw new CrewError("INVALID_CONFIG", `agent role "${role}" cannot be used as a namespace suffix`);
      }
      return `${prefix}-${slug}`;
    },
  };
}
