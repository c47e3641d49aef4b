/**
 * `{placeholder}` interpolation of kickoff inputs into agent and task strings.
 *
 * @module
 */
import { MissingInputError } from "./errors.js";

/** Values accepted by `kickoff({ inputs })`. */
export type CrewInputs = Record<string, string | number | boolean>;

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Replaces every `{name}` in `template` with `inputs[name]`. Braces that do not wrap an identifier
 * (JSON examples, `{ }`) are left alone.
 *
 * @throws {MissingInputError} when a placeholder has no input
 */
export function interpolate(template: string, inputs: CrewInputs, where: string): string {
  return template.replace(PLACEHOLDER, (_match, name: string) => {
    if (!Object.hasOwn(inputs, name)) throw new MissingInputError(name, where);
    return String(inputs[name]);
  });
}
