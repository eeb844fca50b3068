/**
 * The admin socket of the simulated HAProxy: byte-stream connections ({@linkcode RuntimeConn})
 * that the product's own `PromptSession` talks to. Lines are answered in order after a small
 * virtual delay; `prompt` switches to prompt mode (every reply ends with `"\n> "`), otherwise a
 * connection answers one line and closes, as HAProxy does. A crash breaks every connection and
 * refuses new ones until the process is started again, with no dynamic servers.
 *
 * @module
 */

import { HaproxyConnectionError } from "../../../lib/haproxy/errors.ts";
import type { Connector, RuntimeConn } from "../../../lib/haproxy/transport.ts";
import type { VirtualClock } from "../../_support/virtual_clock.ts";
import type { SimHaproxy } from "./model.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const PROMPT = "\n> ";

/** The socket of one simulated HAProxy. */
export class SimAdminSocket {
  readonly hap: SimHaproxy;
  readonly clock: VirtualClock;
  /** Virtual delay of every reply. */
  readonly replyDelayMs: number;
  #up = true;
  readonly #conns = new Set<SimCliConn>();

  constructor(hap: SimHaproxy, clock: VirtualClock, replyDelayMs = 1) {
    this.hap = hap;
    this.clock = clock;
    this.replyDelayMs = replyDelayMs;
  }

  /** True while the process runs. */
  get up(): boolean {
    return this.#up;
  }

  /** Opens connections like `unixConnector`: refused with the same error while HAProxy is down. */
  connector(): Connector {
    return () => {
      if (!this.#up) {
        return Promise.reject(
          new HaproxyConnectionError("Cannot connect to HAProxy admin socket (simulated: down)"),
        );
      }
      const c = new SimCliConn(this);
      this.#conns.add(c);
      return Promise.resolve(c);
    };
  }

  /** Kills the process (and any old one still lingering): every connection ends, dynamic servers are lost. */
  crash(): void {
    this.#up = false;
    for (const c of [...this.#conns]) c.hangUp();
    this.hap.restart();
  }

  /**
   * Reloads: the new process answers new connections at once; the connections opened before
   * stay with the old process, which answers them as a stopping one (`Stopping: 1`), as real
   * HAProxy's do until the client (or `stats timeout`) closes them.
   */
  reload(): void {
    const old = this.hap.reload();
    for (const c of this.#conns) c.moveFrom(this.hap, old);
  }

  /** Starts the (new) process. */
  start(): void {
    this.#up = true;
  }

  /** @internal */
  forget(c: SimCliConn): void {
    this.#conns.delete(c);
  }
}

class SimCliConn implements RuntimeConn {
  readonly #sock: SimAdminSocket;
  /** The process this connection reached: the current one when opened, an old one after a reload. */
  #proc: SimHaproxy;
  #input = "";
  #output: Uint8Array[] = [];
  #eof = false;
  #closed = false;
  #prompt = false;
  #severity = false;
  #waiter: ((n: number | null) => void) | null = null;
  #waitBuf: Uint8Array | null = null;
  readonly #release: () => void;

  constructor(sock: SimAdminSocket) {
    this.#sock = sock;
    this.#proc = sock.hap;
    this.#proc.cliConns++;
    this.#release = sock.clock.holdAsync();
  }

  read(p: Uint8Array): Promise<number | null> {
    if (this.#closed) return Promise.reject(new Error("read on a closed connection"));
    if (this.#output.length > 0) return Promise.resolve(this.#take(p));
    if (this.#eof) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.#waiter = resolve;
      this.#waitBuf = p;
    });
  }

  write(p: Uint8Array): Promise<number> {
    if (this.#closed || this.#eof) return Promise.reject(new Error("Broken pipe (simulated)"));
    this.#input += decoder.decode(p);
    for (let nl = this.#input.indexOf("\n"); nl >= 0; nl = this.#input.indexOf("\n")) {
      const line = this.#input.slice(0, nl);
      this.#input = this.#input.slice(nl + 1);
      this.#sock.clock.setTimer(this.#sock.replyDelayMs, () => this.#answer(line));
    }
    return Promise.resolve(p.length);
  }

  close(): void {
    if (this.#closed) return;
    const wasOpen = !this.#eof;
    this.#closed = true;
    this.#eof = true;
    this.#wake(null);
    this.#detach(wasOpen);
    this.#release();
  }

  /** The process died (or answered a line outside prompt mode): end of stream. */
  hangUp(): void {
    const wasOpen = !this.#eof;
    this.#eof = true;
    if (this.#output.length === 0) this.#wake(null);
    this.#detach(wasOpen);
  }

  /** A reload made the process this connection reached, `from`, the old process `to`. */
  moveFrom(from: SimHaproxy, to: SimHaproxy): void {
    if (this.#proc === from) this.#proc = to;
  }

  #detach(wasOpen: boolean): void {
    if (wasOpen) this.#proc.cliConns--;
    this.#sock.forget(this);
  }

  #answer(line: string): void {
    const hap = this.#proc;
    if (this.#eof || this.#closed) return;
    const trimmed = line.trim();
    if (trimmed === "prompt") {
      this.#prompt = !this.#prompt;
      if (this.#prompt) this.#emit(PROMPT);
      return;
    }
    if (trimmed === "set severity-output string") this.#severity = true;
    const bodies = hap.executeLine(trimmed, this.#severity);
    if (this.#prompt) {
      this.#emit(bodies.map((b) => b + PROMPT).join(""));
    } else {
      this.#emit(bodies.join(""));
      this.hangUp();
    }
  }

  #emit(text: string): void {
    this.#output.push(encoder.encode(text));
    if (this.#waiter) this.#wake(this.#take(this.#waitBuf!));
  }

  #wake(n: number | null): void {
    const w = this.#waiter;
    this.#waiter = null;
    this.#waitBuf = null;
    w?.(n);
  }

  #take(buf: Uint8Array): number {
    const head = this.#output[0]!;
    const n = Math.min(buf.length, head.length);
    buf.set(head.subarray(0, n));
    if (n === head.length) this.#output.shift();
    else this.#output[0] = head.subarray(n);
    return n;
  }
}
