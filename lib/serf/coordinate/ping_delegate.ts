/**
 * serf's ping delegate: our coordinate goes on every ack we send; each direct ping we complete
 * feeds the peer's coordinate and the measured RTT to the Vivaldi client, and caches the peer's
 * coordinate (and our new one) for `get-coordinate`.
 *
 * @example
 * ```ts
 * import { seededPrng } from "../../clock.ts";
 * import { nullLogger } from "../../log/logger.ts";
 * import { PingDelegate } from "./ping_delegate.ts";
 * const a = new PingDelegate({ localName: "a", prng: seededPrng(1), log: nullLogger });
 * const b = new PingDelegate({ localName: "b", prng: seededPrng(2), log: nullLogger });
 * a.notifyPingComplete("b", 0.4, b.ackPayload());
 * console.assert(a.cached("b") !== undefined && a.cached("a")!.error < 1.5);
 * ```
 *
 * @module
 */

import type { Prng } from "../../clock.ts";
import type { Logger } from "../../log/logger.ts";
import { SerfDecodeError } from "../errors.ts";
import { CoordinateRejectedError, VivaldiClient } from "./client.ts";
import { cloneCoordinate, type Coordinate, nsToSeconds, type VivaldiConfig } from "./coordinate.ts";
import { decodeCoordinateAck, encodeCoordinateAck } from "./wire.ts";

/** Options of {@linkcode PingDelegate}. */
export interface PingDelegateOptions {
  /** Our node name (our own coordinate is cached under it). */
  readonly localName: string;
  /** Randomness of the Vivaldi client. */
  readonly prng: Prng;
  /** Where decode failures and refused observations are logged. */
  readonly log: Logger;
  /** @default DEFAULT_VIVALDI_CONFIG */
  readonly config?: VivaldiConfig;
}

/** The coordinate side of serf; see the module documentation. */
export class PingDelegate {
  /** Our Vivaldi client. */
  readonly client: VivaldiClient;
  readonly #o: PingDelegateOptions;
  /** Last coordinate of each member whose ack we measured (one per known member). */
  readonly #cache = new Map<string, Coordinate>();
  /** Ack payloads we could not decode. */
  decodeFailures = 0;
  /** Observations the client refused. */
  rejected = 0;

  constructor(o: PingDelegateOptions) {
    this.#o = o;
    this.client = new VivaldiClient({ prng: o.prng, ...(o.config ? { config: o.config } : {}) });
    this.#cache.set(o.localName, this.client.coordinate());
  }

  /** The payload of an ack we send: `[0x01]` + our coordinate. */
  ackPayload(): Uint8Array {
    return encodeCoordinateAck(this.client.coordinate());
  }

  /** A direct ping of `node` was answered after `rttMs` with `payload` (serf NotifyPingComplete). */
  notifyPingComplete(node: string, rttMs: number, payload: Uint8Array | null): void {
    if (payload === null || payload.length === 0) return;
    let other: Coordinate;
    try {
      other = decodeCoordinateAck(payload);
    } catch (e) {
      if (!(e instanceof SerfDecodeError)) throw e;
      this.decodeFailures++;
      this.#o.log.debug("serf.coordinate.undecodable", { node, error: e.message });
      return;
    }
    // memberlist measures a time.Duration in whole nanoseconds.
    const rttSeconds = nsToSeconds(Math.trunc(rttMs * 1e6));
    try {
      this.client.update(node, other, rttSeconds);
    } catch (e) {
      if (!(e instanceof CoordinateRejectedError)) throw e;
      this.rejected++;
      this.#o.log.debug("serf.coordinate.rejected", { node, error: e.message });
      return;
    }
    this.#cache.set(node, other);
    this.#cache.set(this.#o.localName, this.client.coordinate());
  }

  /** The cached coordinate of `node` (ours under our own name). */
  cached(node: string): Coordinate | undefined {
    const c = this.#cache.get(node);
    return c === undefined ? undefined : cloneCoordinate(c);
  }

  /** Forgets `node` (it was reaped). */
  forget(node: string): void {
    if (node === this.#o.localName) return;
    this.client.forgetNode(node);
    this.#cache.delete(node);
  }
}
