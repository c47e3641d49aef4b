/**
 * Unique task names within a crew (not exported from the package).
 *
 * @module
 */
import { CrewError } from "./errors.js";
import type { Task } from "./task.js";

/**
 * The name each task of a crew runs under (coordinator records, shared outputs, `TaskOutput.name`).
 * Explicit names are kept as given; a default name (the description's slug) already taken by an
 * explicit name or an earlier task gets the first free suffix `-2`, `-3`, ….
 *
 * @throws {CrewError} `INVALID_CONFIG` when two tasks have the same explicit name or one task is listed twice.
 */
export function uniqueTaskNames(tasks: readonly Task[]): Map<Task, string> {
  const names = new Map<Task, string>();
  const taken = new Set<string>();
  for (const t of tasks) {
    if (names.has(t)) throw new CrewError("INVALID_CONFIG", `task "${t.name}" is listed twice`);
    if (!t.hasExplicitName) continue;
    if (taken.has(t.name)) throw new CrewError("INVALID_CONFIG", `two tasks are named "${t.name}"`);
    taken.add(t.name);
    names.set(t, t.name);
  }
  for (const t of tasks) {
    if (t.hasExplicitName) continue;
    let name = t.name;
    for (let n = 2; taken.has(name); n++) name = `${t.name}-${n}`;
    taken.add(name);
    names.set(t, name);
  }
  // In crew order.
  return new Map(tasks.map((t) => [t, names.get(t)!]));
}
