/**
 * The runtime-API client: sends validated {@linkcode Command}s over the admin socket and turns
 * replies into payloads or typed errors.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import { type Logger, nullLogger } from "../log/logger.ts";
import {
  type Command,
  showInfoCommand,
  showServersStateCommand,
  showStatCommand,
  showVersionCommand,
} from "./commands.ts";
import { HaproxyError } from "./errors.ts";
import { type HaproxyVersion, parseInfo, parseVersion, type ProcessInfo } from "./info.ts";
import { parseServersState, type ServerStateRow } from "./servers_state.ts";
import { PromptSession } from "./session.ts";
import { parseStat, type StatRow } from "./stat.ts";
import { type Connector, unixConnector } from "./transport.ts";

/** The outcome of one pipelined command. */
export type CommandResult =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly error: HaproxyError };

/** Settings of a {@linkcode RuntimeClient}. */
export interface RuntimeClientOptions {
  /** Path of the admin socket (`stats socket ... level admin`). Ignored if `connector` is set. */
  socketPath?: string;
  /** Opens connections; defaults to {@linkcode unixConnector} on `socketPath`. */
  connector?: Connector;
  /**
   * `persistent`: one prompt-mode connection, commands pipelined. `per-command`: a fresh
   * connection for every command.
   * @default "persistent"
   */
  mode?: "persistent" | "per-command";
  /** Longest wait for more reply bytes while commands are outstanding. @default 5000 */
  readTimeoutMs?: number;
  /** Most commands outstanding on the connection at once (bounds memory). @default 1000 */
  pipelineWindow?: number;
  /** Time source for read timeouts (the composition root passes `systemClock`). */
  clock: Clock;
  /** Where connection events are logged. @default nullLogger */
  logger?: Logger;
  /** Called when HAProxy closes the persistent connection (restart, reload, crash). */
  onDisconnect?: () => void;
  /**
   * Sees the results of every batch of commands (also the single ones of `execute`, `info`, …),
   * in order, once they are all known: for metrics. It must not throw.
   */
  onResults?: (results: readonly CommandResult[]) => void;
}

/** Commands written per write when pipelining. */
const CHUNK_COMMANDS = 100;

/** Idle time after which the persistent connection is replaced rather than reused. */
export const IDLE_REOPEN_MS = 5000;

/**
 * A client for HAProxy's runtime API.
 *
 * @example
 * ```ts ignore
 * import { RuntimeClient, addServerCommand } from "./mod.ts";
 * import { systemClock } from "../clock.ts";
 * const client = new RuntimeClient({ socketPath: "/run/haproxy/admin.sock", clock: systemClock });
 * await client.execute(addServerCommand({ backend: "app", name: "shoal-a", addr: "10.0.0.5", port: 8080 }));
 * console.log((await client.info()).pid);
 * await client.close();
 * ```
 */
export class RuntimeClient {
  readonly #connector: Connector;
  readonly #mode: "persistent" | "per-command";
  readonly #readTimeoutMs: number;
  readonly #window: number;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #disconnectListeners = new Set<() => void>();
  readonly #onResults: ((results: readonly CommandResult[]) => void) | undefined;
  #session: Promise<PromptSession> | undefined;
  #commandsSent = 0;
  #lastUsedMs = -Infinity;

  /** The time source the client was given (its read timeouts run on it). */
  get clock(): Clock {
    return this.#clock;
  }

  /** Creates a client; no connection is opened until the first command. */
  constructor(options: RuntimeClientOptions) {
    if (!options.connector && !options.socketPath) {
      throw new TypeError("RuntimeClient needs a socketPath or a connector");
    }
    this.#connector = options.connector ?? unixConnector(options.socketPath!);
    this.#mode = options.mode ?? "persistent";
    this.#readTimeoutMs = options.readTimeoutMs ?? 5000;
    this.#window = Math.max(1, options.pipelineWindow ?? 1000);
    this.#clock = options.clock;
    this.#log = options.logger ?? nullLogger;
    if (options.onDisconnect) this.#disconnectListeners.add(options.onDisconnect);
    this.#onResults = options.onResults;
  }

  /** Commands handed to a connection so far (for tests and metrics). */
  get commandsSent(): number {
    return this.#commandsSent;
  }

  /** Calls `listener` whenever HAProxy closes the persistent connection; returns an unsubscriber. */
  addDisconnectListener(listener: () => void): () => void {
    this.#disconnectListeners.add(listener);
    return () => this.#disconnectListeners.delete(listener);
  }

  /** Sends one command; returns its payload or throws a typed {@linkcode HaproxyError}. */
  async execute(command: Command): Promise<string> {
    const [result] = await this.executeAll([command]);
    if (!result!.ok) throw result!.error;
    return result!.value;
  }

  /**
   * Sends commands in order, pipelined on the persistent connection (or one connection each in
   * `per-command` mode). One command failing does not stop the others.
   */
  async executeAll(commands: readonly Command[]): Promise<CommandResult[]> {
    const results = await this.#send(commands);
    this.#onResults?.(results);
    return results;
  }

  async #send(commands: readonly Command[]): Promise<CommandResult[]> {
    if (this.#mode === "per-command") {
      const results: CommandResult[] = [];
      for (const command of commands) results.push(await this.#perCommand(command));
      return results;
    }
    const replies: Promise<string[]>[] = [];
    for (let at = 0; at < commands.length; at += CHUNK_COMMANDS) {
      const oldest = replies[replies.length - this.#window];
      if (oldest) await oldest.catch(() => {});
      const chunk = commands.slice(at, at + CHUNK_COMMANDS);
      let session: PromptSession;
      try {
        session = await this.#persistent();
      } catch (error) {
        replies.push(...chunk.map(() => Promise.reject(error)));
        continue;
      }
      this.#commandsSent += chunk.length;
      replies.push(...session.send(chunk));
    }
    const settled = await Promise.allSettled(replies);
    return settled.map((s, i) => this.#toResult(commands[i]!, s));
  }

  /** Drops the persistent connection; the next command opens a new one (after a reload). */
  async reset(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    if (session) await session.then((s) => s.close(), () => {});
  }

  /** Closes the persistent connection. */
  async close(): Promise<void> {
    await this.reset();
  }

  /** `show servers state [backend]`, parsed. */
  async serversState(backend?: string): Promise<ServerStateRow[]> {
    return parseServersState(await this.execute(showServersStateCommand(backend)));
  }

  /** `show stat [backend 4 -1]`, parsed. */
  async stat(backend?: string): Promise<StatRow[]> {
    return parseStat(await this.execute(showStatCommand(backend)));
  }

  /** `show info`, parsed. */
  async info(): Promise<ProcessInfo> {
    return parseInfo(await this.execute(showInfoCommand()));
  }

  /** `show version`, parsed. */
  async version(): Promise<HaproxyVersion> {
    return parseVersion(await this.execute(showVersionCommand()));
  }

  #toResult(command: Command, settled: PromiseSettledResult<string[]>): CommandResult {
    if (settled.status === "rejected") return { ok: false, error: asHaproxyError(settled.reason) };
    try {
      return { ok: true, value: command.interpret(settled.value) };
    } catch (error) {
      return { ok: false, error: asHaproxyError(error) };
    }
  }

  #persistent(): Promise<PromptSession> {
    const nowMs = this.#clock.nowMs();
    const idleMs = nowMs - this.#lastUsedMs;
    this.#lastUsedMs = nowMs;
    if (this.#session && idleMs > IDLE_REOPEN_MS) {
      // HAProxy closes idle CLI connections after `stats timeout` (10 s by default); a command
      // written as it does so is lost. A connection idle this long is replaced instead.
      const idle = this.#session;
      this.#session = undefined;
      idle.then((s) => s.close(), () => {});
    }
    const current = this.#session;
    if (current) {
      return current.then((s) => s.alive ? s : this.#reopen(current), () => this.#reopen(current));
    }
    return this.#reopen(undefined);
  }

  #reopen(stale: Promise<PromptSession> | undefined): Promise<PromptSession> {
    if (this.#session !== stale) return this.#persistent();
    const opening = PromptSession.open(this.#connector, {
      clock: this.#clock,
      readTimeoutMs: this.#readTimeoutMs,
      onClose: (error) => {
        this.#log.info("haproxy.connection.lost", { reason: error.message });
        for (const listener of [...this.#disconnectListeners]) listener();
      },
    });
    this.#session = opening;
    opening.catch(() => {
      if (this.#session === opening) this.#session = undefined;
    });
    return opening;
  }

  async #perCommand(command: Command): Promise<CommandResult> {
    let session: PromptSession;
    try {
      session = await PromptSession.open(this.#connector, {
        clock: this.#clock,
        readTimeoutMs: this.#readTimeoutMs,
      });
    } catch (error) {
      return { ok: false, error: asHaproxyError(error) };
    }
    this.#commandsSent++;
    const [reply] = await Promise.allSettled(session.send([command]));
    await session.close();
    return this.#toResult(command, reply!);
  }
}

function asHaproxyError(error: unknown): HaproxyError {
  if (error instanceof HaproxyError) return error;
  return new HaproxyError("Unexpected failure talking to HAProxy", { cause: error });
}
