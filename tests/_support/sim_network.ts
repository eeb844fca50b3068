/**
 * A seeded, simulated network implementing the gossip {@linkcode Transport} for many nodes over
 * a {@linkcode VirtualClock}: datagrams with loss, delay (hence reordering) and duplication;
 * streams delivered in order with the same delays; partitions that drop datagrams, refuse dials
 * (after the dial timeout) and break open streams, either between groups (nodes left out of
 * every group reach all, so a partition can be non-transitive) or one way only (datagrams from
 * A to B dropped, B to A delivered; a stream needs both ways); killed hosts that refuse dials.
 *
 * One seed reproduces every drop and delay.
 *
 * @example
 * ```ts
 * import { SimNetwork } from "./sim_network.ts";
 * import { VirtualClock } from "./virtual_clock.ts";
 * const clock = new VirtualClock();
 * const net = new SimNetwork(clock, { seed: 1 });
 * const a = net.transport({ host: "10.0.0.1", port: 7946 });
 * const b = net.transport({ host: "10.0.0.2", port: 7946 });
 * let got = 0;
 * b.start({ onPacket: () => got++, onStream: (c) => c.close() });
 * a.start({ onPacket: () => {}, onStream: (c) => c.close() });
 * a.sendPacket(new Uint8Array([1]), b.bindAddress);
 * await clock.advance(100);
 * console.assert(got === 1);
 * ```
 *
 * @module
 */

import { type Prng, seededPrng } from "../../lib/clock.ts";
import type { Address, StreamConn, Transport, TransportHandlers } from "../../lib/gossip/types.ts";
import { SimConn } from "./sim_conn.ts";
import type { VirtualClock } from "./virtual_clock.ts";

/** Network behaviour. */
export interface SimNetworkOptions {
  readonly seed: number;
  /** Probability a datagram is lost. @default 0 */
  readonly lossRate?: number;
  /** Probability a delivered datagram arrives twice. @default 0 */
  readonly duplicateRate?: number;
  /** One-way delay range; datagrams sampled independently, so they reorder. @default 1..5 */
  readonly delayMinMs?: number;
  readonly delayMaxMs?: number;
}

/** Counters of what the network did. */
export interface SimNetworkStats {
  packetsSent: number;
  packetsDelivered: number;
  packetsLost: number;
  packetsBlocked: number;
  packetsDuplicated: number;
  streamsOpened: number;
  streamsRefused: number;
  /** Datagram (UDP) bytes sent, lost ones included. */
  bytesSent: number;
  /** Stream (TCP) payload bytes written. */
  streamBytesSent: number;
}

/** Thrown by a simulated dial that is refused or times out. */
export class SimDialError extends Error {
  override name = "SimDialError";
}

const key = (a: Address) => `${a.host}:${a.port}`;

/** The network: create one transport per node with {@linkcode SimNetwork.transport}. */
export class SimNetwork {
  readonly clock: VirtualClock;
  readonly stats: SimNetworkStats = {
    packetsSent: 0,
    packetsDelivered: 0,
    packetsLost: 0,
    packetsBlocked: 0,
    packetsDuplicated: 0,
    streamsOpened: 0,
    streamsRefused: 0,
    bytesSent: 0,
    streamBytesSent: 0,
  };
  readonly #prng: Prng;
  readonly #o: { -readonly [K in keyof SimNetworkOptions]-?: SimNetworkOptions[K] };
  readonly #hosts = new Map<string, SimTransport>();
  #groupOf = new Map<string, number>();
  /** One-way cuts, as `from>to` keys. */
  #oneWay = new Set<string>();
  readonly #conns = new Set<SimConn>();

  constructor(clock: VirtualClock, opts: SimNetworkOptions) {
    this.clock = clock;
    this.#prng = seededPrng(opts.seed ^ 0x5eed);
    this.#o = { lossRate: 0, duplicateRate: 0, delayMinMs: 1, delayMaxMs: 5, ...opts };
  }

  /** Changes the loss rate from now on. */
  set lossRate(rate: number) {
    this.#o.lossRate = rate;
  }

  /** The current loss rate. */
  get lossRate(): number {
    return this.#o.lossRate;
  }

  /** Changes the duplication rate from now on. */
  set duplicateRate(rate: number) {
    this.#o.duplicateRate = rate;
  }

  /** The current duplication rate. */
  get duplicateRate(): number {
    return this.#o.duplicateRate;
  }

  /** True while a partition (of groups or one-way) is in place. */
  get partitioned(): boolean {
    return this.#groupOf.size > 0 || this.#oneWay.size > 0;
  }

  /** A transport bound at `address`. */
  transport(address: Address): SimTransport {
    const t = new SimTransport(this, address);
    this.#hosts.set(key(address), t);
    return t;
  }

  /** Splits the network: nodes in different groups cannot reach each other; unlisted nodes reach all. */
  partition(groups: readonly (readonly Address[])[]): void {
    this.#groupOf = new Map();
    groups.forEach((g, i) => g.forEach((a) => this.#groupOf.set(key(a), i)));
    this.#breakCut();
  }

  /**
   * Cuts traffic from each of `from` to each of `to` only (added to any cut in place): their
   * datagrams are dropped while the replies' direction still delivers; streams between them
   * break and dials time out, since TCP needs both ways.
   */
  cutOneWay(from: readonly Address[], to: readonly Address[]): void {
    for (const a of from) for (const b of to) this.#oneWay.add(`${key(a)}>${key(b)}`);
    this.#breakCut();
  }

  /** Removes the one-way cuts between `a` and `b`, both ways (groups stay). */
  uncutOneWay(a: readonly Address[], b: readonly Address[]): void {
    for (const x of a) {
      for (const y of b) {
        this.#oneWay.delete(`${key(x)}>${key(y)}`);
        this.#oneWay.delete(`${key(y)}>${key(x)}`);
      }
    }
  }

  /** Removes every partition and one-way cut. */
  heal(): void {
    this.#groupOf = new Map();
    this.#oneWay = new Set();
  }

  /** Whether datagrams from `a` to `b` are cut. */
  blocked(a: Address, b: Address): boolean {
    if (this.#oneWay.size > 0 && this.#oneWay.has(`${key(a)}>${key(b)}`)) return true;
    const ga = this.#groupOf.get(key(a));
    const gb = this.#groupOf.get(key(b));
    return ga !== undefined && gb !== undefined && ga !== gb;
  }

  /** Whether a stream between `a` and `b` cannot work (either way cut). */
  blockedEither(a: Address, b: Address): boolean {
    return this.blocked(a, b) || this.blocked(b, a);
  }

  #breakCut(): void {
    for (const c of [...this.#conns]) if (this.blockedEither(c.local, c.remote)) c.breakBoth();
  }

  /** A sampled one-way delay. */
  delayMs(): number {
    const { delayMinMs, delayMaxMs } = this.#o;
    return delayMinMs + Math.floor(this.#prng() * (delayMaxMs - delayMinMs + 1));
  }

  /** @internal */
  route(bytes: Uint8Array, from: Address, to: Address): void {
    this.stats.packetsSent++;
    this.stats.bytesSent += bytes.length;
    if (this.blocked(from, to)) return void this.stats.packetsBlocked++;
    if (this.#prng() < this.#o.lossRate) return void this.stats.packetsLost++;
    const copies = this.#prng() < this.#o.duplicateRate ? 2 : 1;
    if (copies === 2) this.stats.packetsDuplicated++;
    const data = bytes.slice();
    for (let i = 0; i < copies; i++) {
      this.clock.setTimer(this.delayMs(), () => {
        const dst = this.#hosts.get(key(to));
        if (!dst || !dst.handlers || this.blocked(from, to)) return;
        this.stats.packetsDelivered++;
        dst.handlers.onPacket(data, from, this.clock.nowMs());
      });
    }
  }

  /** @internal */
  dial(from: Address, to: Address, timeoutMs: number): Promise<StreamConn> {
    const release = this.clock.holdAsync();
    return new Promise<StreamConn>((resolve, reject) => {
      const fail = (why: string, afterMs: number) => {
        this.stats.streamsRefused++;
        this.clock.setTimer(afterMs, () => {
          release();
          reject(new SimDialError(`Dial ${key(to)} ${why}`));
        });
      };
      if (this.blockedEither(from, to)) return fail("timed out", timeoutMs);
      const rtt = this.delayMs() + this.delayMs();
      const dst = this.#hosts.get(key(to));
      if (!dst || !dst.handlers) return fail("refused", rtt);
      this.clock.setTimer(rtt, () => {
        release();
        if (!dst.handlers || this.blockedEither(from, to)) {
          this.stats.streamsRefused++;
          return reject(new SimDialError(`Dial ${key(to)} refused`));
        }
        this.stats.streamsOpened++;
        const [mine, theirs] = SimConn.pair(this, from, to);
        dst.handlers.onStream(theirs);
        resolve(mine);
      });
    });
  }

  /** @internal */
  track(c: SimConn, open: boolean): void {
    if (open) this.#conns.add(c);
    else this.#conns.delete(c);
  }

  /** @internal */
  unbind(t: SimTransport): void {
    if (this.#hosts.get(key(t.bindAddress)) === t) this.#hosts.delete(key(t.bindAddress));
    for (const c of [...this.#conns]) {
      if (key(c.local) === key(t.bindAddress) || key(c.remote) === key(t.bindAddress)) {
        c.breakBoth();
      }
    }
  }
}

/** One node's simulated UDP+TCP endpoint. */
export class SimTransport implements Transport {
  readonly bindAddress: Address;
  handlers: TransportHandlers | null = null;
  readonly #net: SimNetwork;

  constructor(net: SimNetwork, address: Address) {
    this.#net = net;
    this.bindAddress = address;
  }

  start(handlers: TransportHandlers): void {
    if (this.handlers) throw new Error("SimTransport started twice");
    this.handlers = handlers;
  }

  sendPacket(bytes: Uint8Array, to: Address): void {
    if (!this.handlers) return;
    this.#net.route(bytes, this.bindAddress, to);
  }

  dialStream(to: Address, timeoutMs: number): Promise<StreamConn> {
    return this.#net.dial(this.bindAddress, to, timeoutMs);
  }

  /** Stops receiving: packets to us vanish, dials are refused, our streams break. */
  close(): Promise<void> {
    this.handlers = null;
    this.#net.unbind(this);
    return Promise.resolve();
  }
}
