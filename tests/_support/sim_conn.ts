/**
 * One end of a stream on the simulated network (`sim_network.ts`): writes reach the peer in
 * order after the network's delay, a partition breaks the stream, and each open end holds the
 * virtual clock's async work open until it closes.
 *
 * @module
 */

import type { Address, StreamConn } from "../../lib/gossip/types.ts";
import type { VirtualClock } from "./virtual_clock.ts";

/** What a {@linkcode SimConn} needs of its network. */
export interface SimConnNet {
  readonly clock: VirtualClock;
  readonly stats: { streamBytesSent: number };
  /** A new delivery delay, in ms. */
  delayMs(): number;
  /** True when either direction between `a` and `b` is cut. */
  blockedEither(a: Address, b: Address): boolean;
  /** Records a stream end as open or closed. */
  track(c: SimConn, open: boolean): void;
}

/** One end of a simulated stream. */
export class SimConn implements StreamConn {
  readonly local: Address;
  readonly remote: Address;
  peer!: SimConn;
  readonly #net: SimConnNet;
  readonly #chunks: Uint8Array[] = [];
  #eof = false;
  #closed = false;
  #waiter: ((n: number | null) => void) | null = null;
  #waitBuf: Uint8Array | null = null;
  /** Delivery time of our last write, so the peer receives in order. */
  #lastDeliveryMs = 0;
  #release: () => void;

  private constructor(net: SimConnNet, local: Address, remote: Address) {
    this.#net = net;
    this.local = local;
    this.remote = remote;
    this.#release = net.clock.holdAsync();
    net.track(this, true);
  }

  /** The two ends of a stream from `a` to `b`. */
  static pair(net: SimConnNet, a: Address, b: Address): [SimConn, SimConn] {
    const x = new SimConn(net, a, b);
    const y = new SimConn(net, b, a);
    x.peer = y;
    y.peer = x;
    return [x, y];
  }

  read(buf: Uint8Array): Promise<number | null> {
    if (this.#closed) return Promise.resolve(null);
    if (this.#chunks.length > 0) return Promise.resolve(this.#take(buf));
    if (this.#eof) return Promise.resolve(null);
    if (this.#waiter) return Promise.reject(new Error("Concurrent reads on a SimConn"));
    return new Promise((resolve) => {
      this.#waiter = resolve;
      this.#waitBuf = buf;
    });
  }

  writeAll(bytes: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("Write on a closed stream"));
    if (this.#net.blockedEither(this.local, this.remote)) {
      this.breakBoth();
      return Promise.reject(new Error("Stream broken by a partition"));
    }
    const data = bytes.slice();
    this.#net.stats.streamBytesSent += data.length;
    this.#schedule(() => this.peer.#deliver(data));
    return Promise.resolve();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake(null);
    this.#net.track(this, false);
    this.#release();
    this.#schedule(() => this.peer.#deliverEof());
  }

  /** Both ends see end-of-stream now (partition, host gone). */
  breakBoth(): void {
    this.#deliverEof();
    this.peer.#deliverEof();
  }

  #schedule(fn: () => void): void {
    const clock = this.#net.clock;
    const at = Math.max(clock.nowMs() + this.#net.delayMs(), this.#lastDeliveryMs);
    this.#lastDeliveryMs = at;
    clock.setTimer(at - clock.nowMs(), fn);
  }

  #deliver(data: Uint8Array): void {
    if (this.#closed || this.#eof) return;
    this.#chunks.push(data);
    if (this.#waiter) this.#wake(this.#take(this.#waitBuf!));
  }

  #deliverEof(): void {
    this.#eof = true;
    if (this.#waiter && this.#chunks.length === 0) this.#wake(null);
  }

  #wake(n: number | null): void {
    const w = this.#waiter;
    this.#waiter = null;
    this.#waitBuf = null;
    w?.(n);
  }

  #take(buf: Uint8Array): number {
    const head = this.#chunks[0]!;
    const n = Math.min(buf.length, head.length);
    buf.set(head.subarray(0, n));
    if (n === head.length) this.#chunks.shift();
    else this.#chunks[0] = head.subarray(n);
    return n;
  }
}
