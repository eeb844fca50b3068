/**
 * The gossip shell: runs a {@linkcode SwimCore} over a {@linkcode Transport} and a
 * {@linkcode Clock}, encodes and decodes with the wire codec, serves and dials streams, counts and
 * drops malformed input, and implements the serf layer's {@linkcode GossipHandle}.
 *
 * Transport-agnostic: the same code runs over Deno UDP/TCP and over the simulated network.
 *
 * @example
 * ```ts ignore
 * const node = createGossipNode({ name: "a", transport, config: gossipConfig("lan"), delegate,
 *   clock: systemClock, prng: Math.random });
 * node.start();
 * await node.join(["127.0.0.1:7946"]);
 * ```
 *
 * @module
 */

import { deadline } from "../clock.ts";
import { type Logger, nullLogger } from "../log/logger.ts";
import { formatAddress } from "./address.ts";
import type { GossipEffect } from "./effects.ts";
import { joinAll } from "./join.ts";
import { DecryptWarner } from "./join_diagnostics.ts";
import {
  countDrop,
  type GossipMetrics,
  gossipMetrics,
  newShellCounters,
  type ShellCounters,
} from "./metrics.ts";
import {
  dialPushPull,
  dialTcpPing,
  serveStream,
  SourceSlots,
  type StreamContext,
} from "./streams.ts";
import type { GossipNodeOptions } from "./node_options.ts";
import { TimerDriver } from "./loops.ts";
import { PacketReceiver } from "./packet_in.ts";
import { SwimCore } from "./swim_core.ts";
import type { Address, GossipHandle, NodeInfo, StreamConn } from "./types.ts";
import {
  COMPOUND_PARTS_MAX,
  DecodeError,
  encodePacket,
  ENCRYPTION_OVERHEAD,
  labelOverhead,
} from "./wire/mod.ts";

export type { GossipNodeOptions } from "./node_options.ts";
export { DECOMPRESSED_BYTES_PER_SECOND_MAX } from "./packet_in.ts";

/** A memberlist node; see the module documentation. */
export class GossipNode implements GossipHandle {
  readonly localName: string;
  readonly core: SwimCore;
  readonly counters: ShellCounters = newShellCounters();
  readonly #o: GossipNodeOptions;
  readonly #log: Logger;
  readonly #streams = new Set<StreamConn>();
  readonly #perSource: SourceSlots;
  readonly #ctx: StreamContext;
  readonly #packets: PacketReceiver;
  readonly #timers: TimerDriver;
  #started = false;
  #stopped = false;
  readonly #decrypt: DecryptWarner;

  constructor(opts: GossipNodeOptions) {
    this.#o = opts;
    this.localName = opts.name;
    this.#log = (opts.logger ?? nullLogger).with({ node: opts.name });
    this.#decrypt = new DecryptWarner(opts.clock, this.#log);
    const label = opts.label ?? "";
    this.core = new SwimCore({
      name: opts.name,
      advertise: opts.advertise ?? opts.transport.bindAddress,
      config: opts.config,
      delegate: opts.delegate,
      clock: opts.clock,
      prng: opts.prng,
      logger: this.#log,
      emit: (e) => this.#execute(e),
      packetOverheadBytes: labelOverhead(label) + (opts.keyring ? ENCRYPTION_OVERHEAD : 0),
      ...(opts.observer ? { observer: opts.observer } : {}),
      ...(opts.admit ? { admit: opts.admit } : {}),
      ...(opts.firstPushPullWithinMs !== undefined
        ? { firstPushPullWithinMs: opts.firstPushPullWithinMs }
        : {}),
    });
    this.#packets = new PacketReceiver({
      label,
      keyring: opts.keyring,
      clock: opts.clock,
      counters: this.counters,
      log: this.#log,
      decrypt: this.#decrypt,
      deliver: (msg, from) => this.core.onMessage(msg, from),
    });
    this.#timers = new TimerDriver(opts.clock, (timer) => this.core.timerFired(timer));
    this.#perSource = new SourceSlots(opts.config.streamsPerSourceMax);
    this.#ctx = {
      core: this.core,
      delegate: opts.delegate,
      clock: opts.clock,
      keyring: opts.keyring,
      label,
      timeoutMs: opts.config.tcpTimeoutMs,
      buffered: { bytes: 0 },
    };
  }

  /** Starts receiving and the SWIM loops. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#o.transport.start({
      onPacket: (bytes, from) => {
        if (!this.#stopped) this.#packets.receive(bytes, from);
      },
      onStream: (conn) => this.#onStream(conn),
    });
    this.#timers.apply(this.core.start());
  }

  /** Stops the loops and the core's other timers, closes open streams and the transport. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.core.stop();
    this.#timers.stop();
    for (const c of this.#streams) c.close();
    this.#streams.clear();
    await this.#o.transport.close();
  }

  localNode(): NodeInfo {
    return this.core.localNode();
  }

  members(): NodeInfo[] {
    return this.core.members();
  }

  numActive(): number {
    return this.core.numActive();
  }

  healthScore(): number {
    return this.core.membership.awareness.score;
  }

  sendUserPacket(to: Address, payload: Uint8Array): void {
    this.core.sendUser(to, payload);
  }

  updateMeta(): void {
    this.core.updateMeta();
  }

  /** Pings member `name` at its gossip address; true when it acks within `timeoutMs`. */
  ping(name: string, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => this.core.pingMember(name, timeoutMs, resolve));
  }

  /** Push/pull joins each address in turn; resolves to how many succeeded (see `join.ts`). */
  join(addrs: readonly string[]): Promise<number> {
    return joinAll(addrs, {
      defaultPort: this.#bindPort(),
      resolveHost: this.#o.resolveHost,
      pushPull: (to) => this.#pushPull(to, true),
      log: this.#log,
    });
  }

  /** The delegate queued a broadcast: an idle gossip loop resumes. */
  broadcastQueued(): void {
    if (!this.#stopped) this.core.broadcastQueued();
  }

  /** Broadcasts our leave; resolves once it is fully sent or after `timeoutMs`. */
  async leave(timeoutMs: number): Promise<void> {
    let othersAlive = false;
    const sent = new Promise<true>((done) => (othersAlive = this.core.leave(() => done(true))));
    if (!othersAlive) return;
    const inTime = await deadline(this.#o.clock, timeoutMs, sent);
    if (inTime === undefined) this.#log.warn("leave.timeout", { timeoutMs });
  }

  /** Everything countable, for metrics. */
  metrics(): GossipMetrics {
    return gossipMetrics(this.counters, this.core, this.#streams.size);
  }

  #bindPort(): number {
    return (this.#o.advertise ?? this.#o.transport.bindAddress).port;
  }

  #execute(e: GossipEffect): void {
    if (this.#stopped) return;
    switch (e.kind) {
      case "packet":
        return this.#sendPacket(e.to, e.parts, e.crc);
      case "push-pull":
        this.#pushPull(e.to, false).catch((err) => {
          this.#log.debug("push_pull.failed", { addr: formatAddress(e.to), error: String(err) });
        });
        return;
      case "tcp-ping":
        this.#tcpPing(e);
        return;
      case "member-join":
        return this.#o.events?.notifyJoin(e.node);
      case "member-leave":
        return this.#o.events?.notifyLeave(e.node);
      case "member-update":
        return this.#o.events?.notifyUpdate(e.node);
      case "conflict":
        return this.#o.conflict?.notifyConflict(e.existing, e.other);
      case "timer":
        return this.#timers.apply([e.directive]);
    }
  }

  #sendPacket(to: Address, parts: Uint8Array[], crc: boolean): void {
    const o = this.#o;
    for (let i = 0; i < parts.length; i += COMPOUND_PARTS_MAX) {
      const bytes = encodePacket(parts.slice(i, i + COMPOUND_PARTS_MAX), {
        compress: o.config.enableCompression,
        crc,
        label: o.label ?? "",
        ...(o.keyring ? { keyring: o.keyring } : {}),
      });
      this.counters.packetsOut++;
      this.counters.bytesOut += bytes.length;
      o.transport.sendPacket(bytes, to);
    }
  }

  async #pushPull(to: Address, join: boolean): Promise<void> {
    this.counters.pushPulls++;
    this.counters.streamsOut++;
    try {
      await dialPushPull(this.#ctx, (a, t) => this.#o.transport.dialStream(a, t), to, join);
    } catch (err) {
      this.counters.pushPullFailures++;
      this.counters.streamErrors++;
      throw err;
    }
  }

  #tcpPing(e: GossipEffect & { kind: "tcp-ping" }): void {
    this.counters.streamsOut++;
    dialTcpPing(this.#ctx, (a, t) => this.#o.transport.dialStream(a, t), e).then(
      (ok) => this.core.onTcpPingResult(e.seqNo, ok),
      (err) => {
        this.counters.streamErrors++;
        this.#log.debug("tcp_ping.failed", { node: e.node, error: String(err) });
        this.core.onTcpPingResult(e.seqNo, false);
      },
    );
  }

  #onStream(conn: StreamConn): void {
    if (this.#stopped || this.#streams.size >= this.#o.config.streamsMax) {
      this.counters.streamsRefused++;
      return conn.close();
    }
    if (!this.#perSource.acquire(conn.remote.host)) {
      this.counters.streamsRefused++;
      return conn.close();
    }
    this.counters.streamsIn++;
    this.#streams.add(conn);
    serveStream(this.#ctx, conn).catch((err) => {
      this.counters.streamErrors++;
      if (err instanceof DecodeError) countDrop(this.counters, err.reason);
      if (err instanceof DecodeError && err.reason === "decrypt") {
        this.#decrypt.failed(formatAddress(conn.remote), "stream", err.message);
      }
      this.#log.debug("stream.failed", { from: formatAddress(conn.remote), error: String(err) });
    }).finally(() => {
      this.#streams.delete(conn);
      this.#perSource.release(conn.remote.host);
      conn.close();
    });
  }
}

/** Builds a {@linkcode GossipNode}; call `start()` to run it. */
export function createGossipNode(opts: GossipNodeOptions): GossipNode {
  return new GossipNode(opts);
}
