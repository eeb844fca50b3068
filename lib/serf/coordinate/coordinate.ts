/**
 * Vivaldi network coordinates as serf's `coordinate` package defines them: an 8-dimensional
 * Euclidean position plus a non-Euclidean height, an adjustment offset and an error estimate, all
 * in seconds. Pure functions; the client that moves a coordinate lives in `client.ts`.
 *
 * @example
 * ```ts
 * import { distanceSeconds, newCoordinate } from "./coordinate.ts";
 * const a = newCoordinate(), b = newCoordinate();
 * b.vec[0] = 0.001;
 * console.assert(Math.abs(distanceSeconds(a, b) - 0.00102) < 1e-9);
 * ```
 *
 * @module
 */

import type { Prng } from "../../clock.ts";

/** A network coordinate; every value is in seconds except the dimensionless `error`. */
export interface Coordinate {
  vec: number[];
  error: number;
  adjustment: number;
  height: number;
}

/** The tuning of the Vivaldi client (serf `coordinate.Config`). */
export interface VivaldiConfig {
  /** Euclidean dimensions. @default 8 */
  readonly dimensionality: number;
  /** Error of a fresh coordinate, and the cap on it. @default 1.5 */
  readonly vivaldiErrorMax: number;
  /** Largest impact of one observation on the error. @default 0.25 */
  readonly vivaldiCe: number;
  /** Largest impact of one observation on the position. @default 0.25 */
  readonly vivaldiCc: number;
  /** Samples of the adjustment window; 0 turns adjustments off. @default 20 */
  readonly adjustmentWindowSize: number;
  /** Smallest height. @default 1e-5 */
  readonly heightMin: number;
  /** RTT samples kept per node for the moving median. @default 3 */
  readonly latencyFilterSize: number;
  /** How strongly gravity pulls coordinates back to the origin. @default 150 */
  readonly gravityRho: number;
}

/** serf's defaults (`coordinate.DefaultConfig`). */
export const DEFAULT_VIVALDI_CONFIG: VivaldiConfig = {
  dimensionality: 8,
  vivaldiErrorMax: 1.5,
  vivaldiCe: 0.25,
  vivaldiCc: 0.25,
  adjustmentWindowSize: 20,
  heightMin: 10.0e-6,
  latencyFilterSize: 3,
  gravityRho: 150.0,
};

/** Below this two positions count as the same point. */
const ZERO_THRESHOLD = 1.0e-6;

/** A coordinate at the origin with the maximum error and the minimum height. */
export function newCoordinate(cfg: VivaldiConfig = DEFAULT_VIVALDI_CONFIG): Coordinate {
  return {
    vec: Array<number>(cfg.dimensionality).fill(0),
    error: cfg.vivaldiErrorMax,
    adjustment: 0,
    height: cfg.heightMin,
  };
}

/** An independent copy. */
export function cloneCoordinate(c: Coordinate): Coordinate {
  return { vec: [...c.vec], error: c.error, adjustment: c.adjustment, height: c.height };
}

/** False when any component is NaN or infinite. */
export function isValidCoordinate(c: Coordinate): boolean {
  return c.vec.every(Number.isFinite) && Number.isFinite(c.error) &&
    Number.isFinite(c.adjustment) && Number.isFinite(c.height);
}

/** True when both have the same number of dimensions. */
export function isCompatible(a: Coordinate, b: Coordinate): boolean {
  return a.vec.length === b.vec.length;
}

/** Thrown when coordinates of different dimensionality meet (a programmer error in serf too). */
export class DimensionalityError extends Error {
  override name = "DimensionalityError";
  constructor(a: Coordinate, b: Coordinate) {
    super(`Coordinate dimensionality does not match: ${a.vec.length} vs ${b.vec.length}`);
  }
}

function magnitude(v: readonly number[]): number {
  let sum = 0;
  for (const x of v) sum += x * x;
  return Math.sqrt(sum);
}

function diff(a: readonly number[], b: readonly number[]): number[] {
  return a.map((x, i) => x - b[i]!);
}

/** The Vivaldi distance in seconds without adjustments (serf `rawDistanceTo`). */
export function rawDistanceSeconds(a: Coordinate, b: Coordinate): number {
  return magnitude(diff(a.vec, b.vec)) + a.height + b.height;
}

/**
 * The estimated RTT from `a` to `b` as serf's `DistanceTo` returns it: a Go `time.Duration`,
 * truncated to whole nanoseconds. Adjustments count unless they would make it negative.
 */
export function distanceNs(a: Coordinate, b: Coordinate): number {
  if (!isCompatible(a, b)) throw new DimensionalityError(a, b);
  const raw = rawDistanceSeconds(a, b);
  const adjusted = raw + a.adjustment + b.adjustment;
  return Math.trunc((adjusted > 0 ? adjusted : raw) * 1e9);
}

/** {@linkcode distanceNs} as Go's `Duration.Seconds()` reads it back. */
export function distanceSeconds(a: Coordinate, b: Coordinate): number {
  return nsToSeconds(distanceNs(a, b));
}

/** Go's `Duration.Seconds()`: whole seconds plus the nanosecond remainder. */
export function nsToSeconds(ns: number): number {
  const sec = Math.trunc(ns / 1e9);
  return sec + (ns - sec * 1e9) / 1e9;
}

/**
 * A unit vector pointing at `a` from `b`, and their distance. Coinciding points get a random
 * direction (distance 0), as in serf.
 */
export function unitVectorAt(
  prng: Prng,
  a: readonly number[],
  b: readonly number[],
): { unit: number[]; mag: number } {
  const d = diff(a, b);
  const mag = magnitude(d);
  if (mag > ZERO_THRESHOLD) return { unit: d.map((x) => x / mag), mag };
  const r = d.map(() => prng() - 0.5);
  const rmag = magnitude(r);
  if (rmag > ZERO_THRESHOLD) return { unit: r.map((x) => x / rmag), mag: 0 };
  return { unit: d.map((_, i) => (i === 0 ? 1 : 0)), mag: 0 };
}

/** `c` pushed by `force` seconds away from `other` (toward it when negative); height follows. */
export function applyForce(
  cfg: VivaldiConfig,
  prng: Prng,
  c: Coordinate,
  force: number,
  other: Coordinate,
): Coordinate {
  if (!isCompatible(c, other)) throw new DimensionalityError(c, other);
  const out = cloneCoordinate(c);
  const { unit, mag } = unitVectorAt(prng, c.vec, other.vec);
  out.vec = out.vec.map((x, i) => x + unit[i]! * force);
  if (mag > ZERO_THRESHOLD) {
    out.height = Math.max((out.height + other.height) * force / mag + out.height, cfg.heightMin);
  }
  return out;
}
