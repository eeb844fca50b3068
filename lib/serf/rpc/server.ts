/**
 * The agent-RPC TCP shell: listens (default 127.0.0.1:7373), runs one {@linkcode RpcSession} per
 * client, bounds the number of clients and each client's queued output, and closes only the
 * client whose request was malformed.
 *
 * @example
 * ```ts ignore
 * import { RpcServer } from "./server.ts";
 * const server = RpcServer.listen({ serf, log, port: 7373 });
 * // serf members -rpc-addr=127.0.0.1:7373
 * await server.close();
 * ```
 *
 * @module
 */

import type { Logger } from "../../log/logger.ts";
import type { Serf } from "../serf.ts";
import { sleep, type TimerId } from "../../clock.ts";
import { AuthBackoff, RPC_HANDSHAKE_TIMEOUT_MS, RPC_IDLE_TIMEOUT_MS } from "./limits.ts";
import type { LogSource } from "./monitor.ts";
import { RpcSession } from "./session.ts";

/** Options of {@linkcode RpcServer.listen}. */
export interface RpcServerOptions {
  /** The serf the commands act on. */
  readonly serf: Serf;
  /** Where sessions log. */
  readonly log: Logger;
  /** @default "127.0.0.1" */
  readonly hostname?: string;
  /** @default 7373; 0 picks a free port */
  readonly port?: number;
  /** The process log `monitor` streams (a `LogTap`); without it `monitor` is refused. */
  readonly logs?: LogSource;
  /** Clients must `auth` with this key after the handshake. */
  readonly authKey?: string;
  /** Concurrent clients; more are closed at once. @default 16 */
  readonly clientsMax?: number;
  /** Replies queued per client before further ones are dropped. @default 1024 */
  readonly outputQueueMax?: number;
  /** Called after a client's `leave` succeeded. */
  readonly onLeave?: () => void;
  /** @default {RPC_HANDSHAKE_TIMEOUT_MS} */
  readonly handshakeTimeoutMs?: number;
  /** @default {RPC_IDLE_TIMEOUT_MS} */
  readonly idleTimeoutMs?: number;
}

interface Client {
  readonly conn: Deno.Conn;
  readonly host: string;
  timer: TimerId | null;
  readonly session: RpcSession;
  readonly out: Uint8Array[];
  wake: (() => void) | null;
  closed: boolean;
  done: Promise<void>;
}

/** Pause after a failed accept before the next. */
const ACCEPT_RETRY_MS = 10;

/** A running RPC server. */
export class RpcServer {
  readonly #listener: Deno.Listener<Deno.TcpConn, Deno.NetAddr>;
  readonly #opts: RpcServerOptions;
  readonly #clients = new Set<Client>();
  readonly #accepting: Promise<void>;
  /** Replies dropped because a client did not read fast enough. */
  outputDropped = 0;
  /** Connections refused because `clientsMax` was reached. */
  clientsRefused = 0;
  /** Connections closed before they finished the handshake, to make room or at the timeout. */
  clientsUnready = 0;
  readonly #backoff = new AuthBackoff();

  private constructor(opts: RpcServerOptions) {
    this.#opts = opts;
    this.#listener = Deno.listen({
      hostname: opts.hostname ?? "127.0.0.1",
      port: opts.port ?? 7373,
    });
    this.#accepting = this.#accept();
  }

  /** Starts listening. */
  static listen(opts: RpcServerOptions): RpcServer {
    return new RpcServer(opts);
  }

  /** The bound address. */
  get addr(): Deno.NetAddr {
    return this.#listener.addr;
  }

  async #accept(): Promise<void> {
    // Not `for await`: the listener's iterator ends at the first failed accept, and a client
    // that resets its connection before we accept it fails one (ENOTCONN).
    while (true) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (e) {
        if (e instanceof Deno.errors.BadResource) return; // closed
        this.#opts.log.debug("serf.rpc.accept_failed", { error: String(e) });
        // a lasting failure (EMFILE) must not spin the event loop
        await sleep(this.#clock, ACCEPT_RETRY_MS);
        continue;
      }
      const host = (conn.remoteAddr as Deno.NetAddr).hostname;
      if (this.#clients.size >= (this.#opts.clientsMax ?? 16) && !this.#evictUnready()) {
        this.clientsRefused++;
        this.#opts.log.warn("serf.rpc.client_refused", { clients: this.#clients.size });
        conn.close();
        continue;
      }
      this.#serve(conn, host);
    }
  }

  get #clock() {
    return this.#opts.serf.deps.clock;
  }

  /** Closes the oldest client still without a handshake; false when every client is ready. */
  #evictUnready(): boolean {
    for (const c of this.#clients) {
      if (!c.closed && !c.session.ready) {
        this.clientsUnready++;
        this.#opts.log.debug("serf.rpc.unready_evicted", { from: c.host });
        this.#shut(c);
        return true;
      }
    }
    return false;
  }

  #shut(c: Client): void {
    if (c.closed) return;
    c.closed = true;
    if (c.timer !== null) this.#clock.clearTimer(c.timer);
    c.wake?.();
    // ends a pending read too, so the slot frees at once
    try {
      c.conn.close();
    } catch {
      // already closed
    }
  }

  /** Re-arms the client's timer: the handshake deadline until ready, then the idle timeout. */
  #arm(c: Client): void {
    if (c.closed) return;
    if (c.timer !== null) this.#clock.clearTimer(c.timer);
    const ready = c.session.ready;
    const ms = ready
      ? this.#opts.idleTimeoutMs ?? RPC_IDLE_TIMEOUT_MS
      : this.#opts.handshakeTimeoutMs ?? RPC_HANDSHAKE_TIMEOUT_MS;
    c.timer = this.#clock.setTimer(ms, () => {
      c.timer = null;
      if (c.session.ready && c.session.streaming) return this.#arm(c);
      if (!c.session.ready) this.clientsUnready++;
      this.#opts.log.debug(ready ? "serf.rpc.idle_closed" : "serf.rpc.handshake_timeout", {
        from: c.host,
      });
      this.#shut(c);
    });
  }

  #serve(conn: Deno.Conn, host: string): void {
    const c: Client = {
      conn,
      host,
      timer: null,
      out: [],
      wake: null,
      closed: false,
      done: Promise.resolve(),
      session: null!,
    };
    const closeClient = () => {
      if (c.closed) return;
      c.closed = true;
      if (c.timer !== null) this.#clock.clearTimer(c.timer);
      c.wake?.();
    };
    (c as { session: RpcSession }).session = new RpcSession({
      serf: this.#opts.serf,
      log: this.#opts.log,
      ...(this.#opts.authKey === undefined ? {} : { authKey: this.#opts.authKey }),
      ...(this.#opts.logs ? { logs: this.#opts.logs } : {}),
      ...(this.#opts.onLeave ? { onLeave: this.#opts.onLeave } : {}),
      authBackoff: {
        blocked: () => this.#backoff.blocked(host, this.#clock.nowMs()),
        failed: () => {
          const waitMs = this.#backoff.failed(host, this.#clock.nowMs());
          this.#opts.log.warn("serf.rpc.auth_failed", { from: host, backoffMs: waitMs });
        },
        succeeded: () => this.#backoff.succeeded(host),
      },
      runtime: {
        os: Deno.build.os,
        arch: Deno.build.arch,
        version: `deno ${Deno.version.deno}`,
        cpu_count: String(navigator.hardwareConcurrency),
      },
      send: (bytes) => {
        if (c.out.length >= (this.#opts.outputQueueMax ?? 1024)) return void this.outputDropped++;
        c.out.push(bytes);
        c.wake?.();
        if (c.session?.ready) this.#arm(c);
      },
      close: closeClient,
    });
    this.#clients.add(c);
    this.#arm(c);
    c.done = Promise.all([this.#read(c), this.#write(c)]).then(() => {
      c.session.close();
      try {
        conn.close();
      } catch {
        // already closed
      }
      this.#clients.delete(c);
    });
  }

  async #read(c: Client): Promise<void> {
    const buf = new Uint8Array(16 * 1024);
    try {
      while (!c.closed) {
        const n = await c.conn.read(buf);
        if (n === null) break;
        c.session.feed(buf.subarray(0, n));
        this.#arm(c);
      }
    } catch {
      // reset by peer or closed by us
    }
    c.closed = true;
    c.wake?.();
  }

  async #write(c: Client): Promise<void> {
    try {
      while (true) {
        const chunk = c.out.shift();
        if (chunk !== undefined) {
          let off = 0;
          while (off < chunk.length) off += await c.conn.write(chunk.subarray(off));
          continue;
        }
        if (c.closed) break;
        await new Promise<void>((r) => (c.wake = r));
        c.wake = null;
      }
    } catch {
      // peer went away
    }
    c.closed = true;
    // rejects (asynchronously) when the socket was already closed by #shut
    c.conn.closeWrite().catch(() => {});
    // Unblock the reader: closing the socket ends its pending read.
    try {
      c.conn.close();
    } catch {
      // already closed
    }
  }

  /** Stops listening and closes every client. */
  async close(): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    for (const c of this.#clients) this.#shut(c);
    await Promise.all([...this.#clients].map((c) => c.done));
  }
}
