/**
 * The real {@linkcode Transport}: UDP datagrams on `Deno.listenDatagram` and TCP streams on
 * `Deno.listen`/`Deno.connect`, on one port number as memberlist does.
 *
 * Datagrams are read into one reused 64 KiB buffer (Deno's default allocates per call, which halves
 * the packet rate); the handler must copy what it keeps.
 *
 * @module
 */

import { joinHostPort } from "../net/mod.ts";
import type { Address, StreamConn, Transport, TransportHandlers } from "./types.ts";
import type { Logger } from "../log/logger.ts";
import { nullLogger } from "../log/logger.ts";
import { errorText } from "../log/error_text.ts";

/** Go reads UDP into a 65,536-byte buffer; anything longer cannot be a memberlist packet. */
export const UDP_RECEIVE_BUFFER_BYTES = 65_536;

/** How many times to look for a port free for both UDP and TCP when port 0 is asked for. */
const PORT_ATTEMPTS_MAX = 16;

/** First pause after a failed accept of a stream. */
const ACCEPT_PAUSE_MIN_MS = 5;
/**
 * Longest pause between accepts while they keep failing: a stream waits at most this long once
 * descriptors are free again, and a lasting failure costs at most one accept a second.
 */
const ACCEPT_PAUSE_MAX_MS = 1000;

/** Options for {@linkcode DenoTransport.listen}. */
export interface DenoTransportOptions {
  /** Address to bind; port 0 picks a port free for both UDP and TCP. */
  bind: Address;
  /** @default nullLogger */
  logger?: Logger;
  /** Milliseconds clock used to timestamp packets. @default performance.now */
  nowMs?: () => number;
}

/** Traffic counters, for metrics. */
export interface TransportCounters {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  sendErrors: number;
  streamsIn: number;
  streamsOut: number;
  /** Failed accepts of inbound streams (EMFILE and the like). */
  acceptErrors: number;
}

/** Thrown when the gossip port cannot be bound. */
export class BindError extends Error {
  override name = "BindError";
}

class DenoStream implements StreamConn {
  readonly remote: Address;
  #closed = false;
  constructor(readonly conn: Deno.TcpConn) {
    const addr = conn.remoteAddr;
    this.remote = { host: addr.hostname, port: addr.port };
  }
  read(buf: Uint8Array): Promise<number | null> {
    return this.conn.read(buf);
  }
  async writeAll(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) off += await this.conn.write(bytes.subarray(off));
  }
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.conn.close();
    } catch {
      // already closed by the peer's reset
    }
  }
}

/**
 * UDP + TCP on one port.
 *
 * @example
 * ```ts ignore
 * const t = DenoTransport.listen({ bind: { host: "127.0.0.1", port: 0 } });
 * t.start({ onPacket: (b, from) => {}, onStream: (c) => c.close() });
 * await t.close();
 * ```
 */
export class DenoTransport implements Transport {
  readonly bindAddress: Address;
  readonly counters: TransportCounters = {
    packetsIn: 0,
    bytesIn: 0,
    packetsOut: 0,
    bytesOut: 0,
    sendErrors: 0,
    streamsIn: 0,
    streamsOut: 0,
    acceptErrors: 0,
  };
  readonly #udp: Deno.DatagramConn;
  readonly #tcp: Deno.TcpListener;
  readonly #log: Logger;
  readonly #nowMs: () => number;
  #loops: Promise<void>[] = [];
  #closed = false;

  private constructor(udp: Deno.DatagramConn, tcp: Deno.TcpListener, opts: DenoTransportOptions) {
    this.#udp = udp;
    this.#tcp = tcp;
    this.#log = opts.logger ?? nullLogger;
    this.#nowMs = opts.nowMs ?? (() => performance.now());
    this.bindAddress = { host: opts.bind.host, port: tcp.addr.port };
  }

  /** Binds UDP and TCP on `bind` (synchronously); throws {@linkcode BindError} with the reason when it cannot. */
  static listen(opts: DenoTransportOptions): DenoTransport {
    const { host, port } = opts.bind;
    for (let attempt = 0; attempt < (port === 0 ? PORT_ATTEMPTS_MAX : 1); attempt++) {
      let tcp: Deno.TcpListener;
      try {
        tcp = Deno.listen({ hostname: host, port, transport: "tcp" });
      } catch (err) {
        throw new BindError(`Cannot listen on TCP ${fmt(opts.bind)}: ${errText(err)}`, {
          cause: err,
        });
      }
      try {
        const udp = Deno.listenDatagram({ hostname: host, port: tcp.addr.port, transport: "udp" });
        return new DenoTransport(udp, tcp, opts);
      } catch (err) {
        tcp.close();
        if (port !== 0) {
          throw new BindError(`Cannot listen on UDP ${fmt(opts.bind)}: ${errText(err)}`, {
            cause: err,
          });
        }
      }
    }
    throw new BindError(`No port on ${host} was free for both UDP and TCP`);
  }

  start(handlers: TransportHandlers): void {
    this.#loops.push(this.#receiveLoop(handlers), this.#acceptLoop(handlers));
  }

  async #receiveLoop(handlers: TransportHandlers): Promise<void> {
    const buf = new Uint8Array(UDP_RECEIVE_BUFFER_BYTES);
    while (!this.#closed) {
      let got: [Uint8Array, Deno.Addr];
      try {
        got = await this.#udp.receive(buf);
      } catch (err) {
        if (this.#closed) return;
        this.#log.warn("transport.udp.receive_failed", { error: errText(err) });
        continue;
      }
      const [bytes, addr] = got;
      const from = addr as Deno.NetAddr;
      this.counters.packetsIn++;
      this.counters.bytesIn += bytes.length;
      try {
        handlers.onPacket(bytes, { host: from.hostname, port: from.port }, this.#nowMs());
      } catch (err) {
        this.#log.error("transport.packet_handler_failed", { error: errText(err) });
      }
    }
  }

  async #acceptLoop(handlers: TransportHandlers): Promise<void> {
    // A failed accept usually lasts (EMFILE: the connection stays in the backlog and every
    // retry fails at once), so retrying at once spins a core: back off, doubling, and warn once
    // per run of failures.
    let pauseMs = 0;
    while (!this.#closed) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#tcp.accept();
      } catch (err) {
        if (this.#closed) return;
        this.counters.acceptErrors++;
        if (pauseMs === 0) {
          this.#log.warn("transport.tcp.accept_failed", {
            error: errText(err),
            retry_ms: ACCEPT_PAUSE_MIN_MS,
          });
        }
        pauseMs = Math.min(Math.max(pauseMs * 2, ACCEPT_PAUSE_MIN_MS), ACCEPT_PAUSE_MAX_MS);
        await new Promise((r) => setTimeout(r, pauseMs));
        continue;
      }
      if (pauseMs > 0) {
        this.#log.info("transport.tcp.accept_recovered", { failed: this.counters.acceptErrors });
        pauseMs = 0;
      }
      this.counters.streamsIn++;
      handlers.onStream(new DenoStream(conn));
    }
  }

  sendPacket(bytes: Uint8Array, to: Address): void {
    if (this.#closed) return;
    this.counters.packetsOut++;
    this.counters.bytesOut += bytes.length;
    this.#udp.send(bytes, { transport: "udp", hostname: to.host, port: to.port }).catch((err) => {
      this.counters.sendErrors++;
      this.#log.debug("transport.udp.send_failed", { to: fmt(to), error: errText(err) });
    });
  }

  async dialStream(to: Address, timeoutMs: number): Promise<StreamConn> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const connecting = Deno.connect({ hostname: to.host, port: to.port, transport: "tcp" });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Timed out after ${timeoutMs}ms dialing ${fmt(to)}`)),
        timeoutMs,
      );
    });
    try {
      const conn = await Promise.race([connecting, timeout]);
      this.counters.streamsOut++;
      return new DenoStream(conn);
    } catch (err) {
      // A connect that completes after the timeout must not leak its socket.
      connecting.then((c) => c.close(), () => {});
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#udp.close();
    this.#tcp.close();
    await Promise.allSettled(this.#loops);
  }
}

function fmt(a: Address): string {
  return joinHostPort(a.host, a.port);
}

function errText(err: unknown): string {
  return errorText(err);
}
