/**
 * The Vivaldi client of serf's `coordinate` package: it moves our coordinate after each RTT
 * observation of another node (moving-median latency filter, the Vivaldi spring step, the
 * adjustment window, gravity toward the origin) and resets itself if the arithmetic ever yields
 * NaN or infinity. Pure: randomness comes from the injected {@linkcode Prng}.
 *
 * @example
 * ```ts
 * import { seededPrng } from "../../clock.ts";
 * import { VivaldiClient } from "./client.ts";
 * import { newCoordinate } from "./coordinate.ts";
 * const client = new VivaldiClient({ prng: seededPrng(1) });
 * const other = newCoordinate();
 * other.vec[0] = 0.001;
 * client.update("b", other, 0.004);
 * console.assert(client.coordinate().error < 1.5);
 * ```
 *
 * @module
 */

import type { Prng } from "../../clock.ts";
import {
  applyForce,
  cloneCoordinate,
  type Coordinate,
  DEFAULT_VIVALDI_CONFIG,
  distanceSeconds,
  isCompatible,
  isValidCoordinate,
  newCoordinate,
  rawDistanceSeconds,
  type VivaldiConfig,
} from "./coordinate.ts";

/** An observation the client refused (serf returns these as errors and changes nothing). */
export class CoordinateRejectedError extends Error {
  override name = "CoordinateRejectedError";
}

/** Options of {@linkcode VivaldiClient}. */
export interface VivaldiClientOptions {
  /** Random directions for coinciding coordinates. */
  readonly prng: Prng;
  /** @default DEFAULT_VIVALDI_CONFIG */
  readonly config?: VivaldiConfig;
}

/** RTTs above this are refused (serf: 10 s). */
const RTT_MAX_SECONDS = 10;
/** RTTs and total errors are clamped to at least this (serf's zeroThreshold). */
const ZERO_THRESHOLD = 1.0e-6;

/** Our coordinate and the state that moves it; see the module documentation. */
export class VivaldiClient {
  readonly #cfg: VivaldiConfig;
  readonly #prng: Prng;
  readonly #origin: Coordinate;
  #coord: Coordinate;
  readonly #adjustmentSamples: number[];
  #adjustmentIndex = 0;
  /** RTT samples per node name, oldest first; one entry per node that answered our pings. */
  readonly #latency = new Map<string, number[]>();
  /** Times the coordinate became invalid and was reset to the origin. */
  resets = 0;

  constructor(opts: VivaldiClientOptions) {
    this.#cfg = opts.config ?? DEFAULT_VIVALDI_CONFIG;
    if (this.#cfg.dimensionality <= 0) throw new RangeError("Dimensionality must be > 0");
    this.#prng = opts.prng;
    this.#coord = newCoordinate(this.#cfg);
    this.#origin = newCoordinate(this.#cfg);
    this.#adjustmentSamples = Array<number>(this.#cfg.adjustmentWindowSize).fill(0);
  }

  /** A copy of our coordinate. */
  coordinate(): Coordinate {
    return cloneCoordinate(this.#coord);
  }

  /** Forces our coordinate (it must be valid and of our dimensionality). */
  setCoordinate(c: Coordinate): void {
    this.#check(c);
    this.#coord = cloneCoordinate(c);
  }

  /** Drops the latency samples of `node` (it left the cluster). */
  forgetNode(node: string): void {
    this.#latency.delete(node);
  }

  /** Estimated RTT in seconds from us to `other`. */
  distanceSecondsTo(other: Coordinate): number {
    return distanceSeconds(this.#coord, other);
  }

  /**
   * Applies one observation: `node` at coordinate `other` answered a ping in `rttSeconds`.
   * Returns our new coordinate; throws {@linkcode CoordinateRejectedError} and changes nothing
   * when the coordinate is incompatible or invalid, or the RTT is negative or above 10 s.
   */
  update(node: string, other: Coordinate, rttSeconds: number): Coordinate {
    this.#check(other);
    if (!(rttSeconds >= 0 && rttSeconds <= RTT_MAX_SECONDS)) {
      throw new CoordinateRejectedError(
        `Round trip time ${rttSeconds} s is not in the valid range 0..${RTT_MAX_SECONDS} s`,
      );
    }
    const rtt = this.latencyFilter(node, rttSeconds);
    this.#updateVivaldi(other, rtt);
    this.#updateAdjustment(other, rtt);
    this.#updateGravity();
    if (!isValidCoordinate(this.#coord)) {
      this.resets++;
      this.#coord = newCoordinate(this.#cfg);
    }
    return this.coordinate();
  }

  /** Adds a sample for `node` and returns the median of its last few (serf latencyFilter). */
  latencyFilter(node: string, rttSeconds: number): number {
    const samples = this.#latency.get(node) ?? [];
    samples.push(rttSeconds);
    if (samples.length > this.#cfg.latencyFilterSize) samples.shift();
    this.#latency.set(node, samples);
    const sorted = [...samples].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  }

  #check(c: Coordinate): void {
    if (!isCompatible(this.#coord, c)) {
      throw new CoordinateRejectedError("Dimensions aren't compatible");
    }
    if (!isValidCoordinate(c)) throw new CoordinateRejectedError("Coordinate is invalid");
  }

  #updateVivaldi(other: Coordinate, rttSeconds: number): void {
    const cfg = this.#cfg;
    const dist = distanceSeconds(this.#coord, other);
    const rtt = Math.max(rttSeconds, ZERO_THRESHOLD);
    const wrongness = Math.abs(dist - rtt) / rtt;
    const totalError = Math.max(this.#coord.error + other.error, ZERO_THRESHOLD);
    const weight = this.#coord.error / totalError;
    this.#coord.error = Math.min(
      cfg.vivaldiCe * weight * wrongness + this.#coord.error * (1 - cfg.vivaldiCe * weight),
      cfg.vivaldiErrorMax,
    );
    const force = cfg.vivaldiCc * weight * (rtt - dist);
    this.#coord = applyForce(cfg, this.#prng, this.#coord, force, other);
  }

  #updateAdjustment(other: Coordinate, rttSeconds: number): void {
    const window = this.#cfg.adjustmentWindowSize;
    if (window === 0) return;
    // The adjustments themselves do not count here: the raw distance is compared to the RTT.
    this.#adjustmentSamples[this.#adjustmentIndex] = rttSeconds -
      rawDistanceSeconds(this.#coord, other);
    this.#adjustmentIndex = (this.#adjustmentIndex + 1) % window;
    let sum = 0;
    for (const s of this.#adjustmentSamples) sum += s;
    this.#coord.adjustment = sum / (2 * window);
  }

  #updateGravity(): void {
    const dist = distanceSeconds(this.#origin, this.#coord);
    const force = -1 * Math.pow(dist / this.#cfg.gravityRho, 2);
    this.#coord = applyForce(this.#cfg, this.#prng, this.#coord, force, this.#origin);
  }
}
