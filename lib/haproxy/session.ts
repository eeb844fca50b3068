/**
 * One prompt-mode connection to the runtime API, with pipelining: commands are written as they
 * come and replies are read concurrently, matched to commands in order.
 *
 * @module
 */

import type { Clock, TimerId } from "../clock.ts";
import type { Command } from "./commands.ts";
import { sessionPreamble } from "./commands.ts";
import { HaproxyConnectionError, HaproxyProtocolError, HaproxyTimeoutError } from "./errors.ts";
import { PromptFramer } from "./framing.ts";
import { type Connector, type RuntimeConn, writeAll } from "./transport.ts";

interface Pending {
  /** Replies expected: one per line of the command. */
  frames: number;
  bodies: string[];
  resolve(bodies: string[]): void;
  reject(error: Error): void;
}

/** Settings of a {@linkcode PromptSession}. */
export interface PromptSessionOptions {
  /** Time source for the read timeout. */
  clock: Clock;
  /** Longest wait for more reply bytes while commands are outstanding. */
  readTimeoutMs: number;
  /** Called once when the session fails or HAProxy closes it (not after {@linkcode PromptSession.close}). */
  onClose?: (error: Error) => void;
}

const READ_BUFFER_BYTES = 64 * 1024;
const encoder = new TextEncoder();

/** A prompt-mode session with `set severity-output string`. */
export class PromptSession {
  readonly #conn: RuntimeConn;
  readonly #opts: PromptSessionOptions;
  readonly #framer = new PromptFramer();
  #pending: Pending[] = [];
  #head = 0;
  #failure: Error | undefined;
  #writeChain: Promise<void> = Promise.resolve();
  #timer: TimerId | undefined;
  #lastProgressMs = 0;
  readonly #reading: Promise<void>;

  private constructor(conn: RuntimeConn, opts: PromptSessionOptions) {
    this.#conn = conn;
    this.#opts = opts;
    this.#reading = this.#readLoop();
  }

  /** Connects, enters prompt mode and turns on severity output. */
  static async open(connector: Connector, opts: PromptSessionOptions): Promise<PromptSession> {
    const session = new PromptSession(await connector(), opts);
    const preamble = sessionPreamble();
    try {
      const bodies = await Promise.all(session.send(preamble));
      preamble.forEach((cmd, i) => cmd.interpret(bodies[i]!));
    } catch (error) {
      await session.close();
      throw error;
    }
    return session;
  }

  /** True until the connection fails or is closed. */
  get alive(): boolean {
    return this.#failure === undefined;
  }

  /** Outstanding commands. */
  get inFlight(): number {
    return this.#pending.length - this.#head;
  }

  /**
   * Writes the commands in one write, each of their lines on its own; each promise settles with
   * that command's raw replies (one per line).
   */
  send(commands: readonly Command[]): Promise<string[]>[] {
    if (this.#failure) return commands.map(() => Promise.reject(this.#failure));
    const promises = commands.map((cmd) =>
      new Promise<string[]>((resolve, reject) =>
        this.#pending.push({ frames: cmd.lines.length, bodies: [], resolve, reject })
      )
    );
    if (this.inFlight === commands.length) this.#lastProgressMs = this.#opts.clock.nowMs();
    this.#armTimer();
    const bytes = encoder.encode(commands.flatMap((c) => c.lines.map((l) => l + "\n")).join(""));
    this.#writeChain = this.#writeChain.then(async () => {
      if (this.#failure) return;
      try {
        await writeAll(this.#conn, bytes);
      } catch (cause) {
        this.#fail(new HaproxyConnectionError("Write to HAProxy admin socket failed", { cause }));
      }
    });
    return promises;
  }

  /** Closes the connection; outstanding commands fail with {@linkcode HaproxyConnectionError}. */
  async close(): Promise<void> {
    this.#fail(new HaproxyConnectionError("HAProxy session closed"), false);
    await this.#reading;
    await this.#writeChain;
  }

  async #readLoop(): Promise<void> {
    const buffer = new Uint8Array(READ_BUFFER_BYTES);
    while (!this.#failure) {
      let n: number | null;
      try {
        n = await this.#conn.read(buffer);
      } catch (cause) {
        this.#fail(new HaproxyConnectionError("Read from HAProxy admin socket failed", { cause }));
        return;
      }
      if (n === null) {
        this.#fail(new HaproxyConnectionError("HAProxy closed the admin connection"));
        return;
      }
      // Any bytes are progress: a large reply that keeps streaming is not cut by the timeout.
      this.#lastProgressMs = this.#opts.clock.nowMs();
      try {
        for (const body of this.#framer.push(buffer.subarray(0, n))) this.#deliver(body);
      } catch (error) {
        this.#fail(error instanceof Error ? error : new Error(String(error)));
        return;
      }
    }
  }

  #deliver(body: string): void {
    const next = this.#pending[this.#head];
    if (!next) throw new HaproxyProtocolError("HAProxy sent a reply nobody asked for");
    this.#lastProgressMs = this.#opts.clock.nowMs();
    next.bodies.push(body);
    if (next.bodies.length < next.frames) return;
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#pending.length) {
      this.#pending = this.#pending.slice(this.#head);
      this.#head = 0;
    }
    if (this.inFlight === 0 && this.#timer !== undefined) {
      this.#opts.clock.clearTimer(this.#timer);
      this.#timer = undefined;
    }
    next.resolve(next.bodies);
  }

  #armTimer(): void {
    if (this.#timer !== undefined || this.#failure || this.inFlight === 0) return;
    const dueMs = this.#lastProgressMs + this.#opts.readTimeoutMs - this.#opts.clock.nowMs();
    this.#timer = this.#opts.clock.setTimer(Math.max(0, dueMs), () => {
      this.#timer = undefined;
      if (this.inFlight === 0 || this.#failure) return;
      const idleMs = this.#opts.clock.nowMs() - this.#lastProgressMs;
      if (idleMs >= this.#opts.readTimeoutMs) {
        this.#fail(
          new HaproxyTimeoutError(`No reply from HAProxy within ${this.#opts.readTimeoutMs} ms`),
        );
      } else {
        this.#armTimer();
      }
    });
  }

  #fail(error: Error, notify = true): void {
    if (this.#failure) return;
    this.#failure = error;
    if (this.#timer !== undefined) this.#opts.clock.clearTimer(this.#timer);
    this.#timer = undefined;
    const waiting = this.#pending.slice(this.#head);
    this.#pending = [];
    this.#head = 0;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the peer.
    }
    for (const p of waiting) p.reject(error);
    if (notify) this.#opts.onClose?.(error);
  }
}
