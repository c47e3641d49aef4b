/**
 * Decay and recency (SPEC §4). Δ = hours since the memory was last reinforced (created, updated or
 * recalled), h = half-life in hours:
 *
 * | strategy | curve |
 * |---|---|
 * | exponential | 2^(−Δ/h) |
 * | linear | max(0, 1 − Δ/(2h)) |
 * | logarithmic | 1 / (1 + log2(1 + Δ/h)) |
 * | step | 2^(−⌊Δ/h⌋) |
 * | none | 1 |
 *
 * Retention evaluates the curve with the effective half-life h·2^(2·importance − 1): importance 0.5
 * decays at exactly h, importance 1 lasts twice as long, 0 half as long.
 *
 * @module
 */
import type { DecayStrategy } from "./types.js";

const HOUR = 3_600_000;

/** The decay curve value for an age of `hours` and a half-life of `halfLife` hours. */
export function decayCurve(strategy: DecayStrategy, hours: number, halfLife: number): number {
  const d = Math.max(0, hours);
  switch (strategy) {
    case "none":
      return 1;
    case "exponential":
      return 2 ** (-d / halfLife);
    case "linear":
      return Math.max(0, 1 - d / (2 * halfLife));
    case "logarithmic":
      return 1 / (1 + Math.log2(1 + d / halfLife));
    case "step":
      return 2 ** -Math.floor(d / halfLife);
  }
}

/** The half-life adjusted by importance: h·2^(2·importance − 1). */
export function effectiveHalfLife(halfLifeHours: number, importance: number): number {
  return halfLifeHours * 2 ** (2 * importance - 1);
}

/** Inputs of {@link retention} and {@link recency}. */
export interface DecayInput {
  strategy: DecayStrategy;
  halfLifeHours: number;
  importance: number;
  /** When the memory was last reinforced (epoch ms). */
  reinforcedAt: number;
  now: number;
}

/** Retention multiplier in [0, 1] for a memory. */
export function retention(input: DecayInput): number {
  const hours = (input.now - input.reinforcedAt) / HOUR;
  return decayCurve(input.strategy, hours, effectiveHalfLife(input.halfLifeHours, input.importance));
}

/**
 * Recency in [0, 1] for `recencyWeight`: the namespace's curve over the memory's age since creation,
 * with the namespace half-life (exponential with 168 h when the namespace has no decay).
 */
export function recency(opts: {
  strategy: DecayStrategy;
  halfLifeHours: number;
  createdAt: number;
  now: number;
}) {
  const strategy = opts.strategy === "none" ? "exponential" : opts.strategy;
  const halfLife = opts.strategy === "none" ? 168 : opts.halfLifeHours;
  return decayCurve(strategy, (opts.now - opts.createdAt) / HOUR, halfLife);
}
