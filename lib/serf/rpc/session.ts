/**
 * One agent-RPC client session (wire spec §9) as a state machine: bytes in through
 * {@linkcode RpcSession.feed}, replies out through `send`. It enforces the handshake and the
 * auth key, runs commands against a {@linkcode Serf}, and streams events and query answers.
 * It does no I/O itself; `server.ts` is the TCP shell.
 *
 * @module
 */

import { asMap, bytesField, intField, stringField, uintField } from "../../gossip/wire/fields.ts";
import { encode, type EncValue, MsgpackError, type MsgValue } from "../../gossip/wire/msgpack.ts";
import type { Logger } from "../../log/logger.ts";
import type { QueryEvent } from "../events.ts";
import type { Serf } from "../serf.ts";
import { RpcFrameError, RpcFrameReader } from "./framing.ts";
import { eventRecord, parseStreamFilter, streamWants } from "./records.ts";
import { runCommand } from "./commands.ts";
import { type LogSource, monitorLevel, monitorWants, serfLogLine } from "./monitor.ts";
import { errorText } from "../../log/error_text.ts";

/** Go's error strings, which the `serf` CLI prints as they are. */
export const RPC_ERRORS = {
  unsupportedCommand: "Unsupported command",
  unsupportedVersion: "Unsupported IPC version",
  duplicateHandshake: "Handshake already performed",
  handshakeRequired: "Handshake required",
  invalidFilter: "Invalid event filter",
  monitorExists: "Monitor already exists",
  streamExists: "Stream with given sequence exists",
  invalidQueryId: "No pending queries matching ID",
  authRequired: "Authentication required",
  invalidAuthToken: "Invalid authentication token",
} as const;

/** Commands whose request carries a body object after the header. */
const WITH_BODY = new Set([
  "handshake",
  "auth",
  "members-filtered",
  "join",
  "force-leave",
  "event",
  "tags",
  "query",
  "respond",
  "stream",
  "stop",
  "monitor",
  "get-coordinate",
  "install-key",
  "use-key",
  "remove-key",
]);
/** Every command we know (the rest get "Unsupported command" and the connection closes). */
const KNOWN = new Set([...WITH_BODY, "members", "leave", "stats", "list-keys"]);

/** Options of {@linkcode RpcSession}. */
export interface RpcSessionOptions {
  /** The serf the commands act on. */
  readonly serf: Serf;
  /** Where the session logs. */
  readonly log: Logger;
  /** Required after the handshake when set. */
  readonly authKey?: string;
  /** Queues bytes for the client. */
  send(bytes: Uint8Array): void;
  /** Closes the client connection. */
  close(): void;
  /**
   * The client host's backoff after wrong keys (see `limits.ts`): while `blocked()`, `auth` is
   * refused without comparing the key, so guesses are limited whatever the client sends.
   */
  readonly authBackoff?: { blocked(): boolean; failed(): void; succeeded(): void };
  /** Called after a successful `leave` (the agent then shuts down). */
  readonly onLeave?: () => void;
  /** The process log, for `monitor`; without it `monitor` is refused. */
  readonly logs?: LogSource;
  /** The `runtime` section of `stats` (os, arch, version), filled in by the shell. */
  readonly runtime?: Readonly<Record<string, string>>;
  /** Largest request accepted. @default 65 536 */
  readonly requestBytesMax?: number;
  /** Event streams per client. @default 16 */
  readonly streamsMax?: number;
  /** Streamed queries awaiting `respond` per client. @default 256 */
  readonly pendingQueriesMax?: number;
}

/** One client; see the module documentation. */
export class RpcSession {
  /** The options (read by the command handlers). */
  readonly o: RpcSessionOptions;
  readonly #reader: RpcFrameReader;
  #header: { command: string; seq: number } | null = null;
  #version = 0;
  #authed = false;
  #closed = false;
  readonly #streams = new Map<number, () => void>();
  #monitor: { seq: number; off: () => void } | null = null;
  readonly #queries = new Map<number, QueryEvent>();
  #nextQueryId = 1;

  /** A session before its handshake. */
  constructor(o: RpcSessionOptions) {
    this.o = o;
    this.#reader = new RpcFrameReader(o.requestBytesMax ?? 65_536);
  }

  /** True once the handshake (and `auth`, when a key is required) succeeded. */
  get ready(): boolean {
    return this.#version !== 0 && (this.o.authKey === undefined || this.#authed);
  }

  /** True while the client holds an event stream or a monitor (it may then stay silent). */
  get streaming(): boolean {
    return this.#streams.size > 0 || this.#monitor !== null;
  }

  /** True after the session closed the connection. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes from the client. A malformed request closes this client only. */
  feed(bytes: Uint8Array): void {
    if (this.#closed) return;
    this.#reader.push(bytes);
    try {
      for (let v = this.#reader.next(); v !== undefined && !this.#closed; v = this.#reader.next()) {
        this.#take(v);
      }
    } catch (e) {
      if (!(e instanceof RpcFrameError || e instanceof MsgpackError)) throw e;
      this.o.log.warn("serf.rpc.malformed", { error: e.message });
      this.close();
    }
  }

  #take(v: MsgValue): void {
    if (this.#header !== null) {
      const h = this.#header;
      this.#header = null;
      return this.#dispatch(h.command, h.seq, asMap(v, "RPC request body"));
    }
    const m = asMap(v, "RPC request header");
    const command = stringField(m, "Command");
    const seq = uintField(m, "Seq", Number.MAX_SAFE_INTEGER);
    if (!KNOWN.has(command)) {
      this.reply(seq, RPC_ERRORS.unsupportedCommand);
      return this.close();
    }
    if (command !== "handshake" && this.#version === 0) {
      this.reply(seq, RPC_ERRORS.handshakeRequired);
      return this.close();
    }
    if (WITH_BODY.has(command)) this.#header = { command, seq };
    else this.#dispatch(command, seq, new Map());
  }

  #dispatch(command: string, seq: number, body: Map<string, MsgValue>): void {
    if (command === "handshake") return this.#handshake(seq, body);
    if (command === "auth") return this.#auth(seq, body);
    if (this.o.authKey !== undefined && !this.#authed) {
      return this.reply(seq, RPC_ERRORS.authRequired);
    }
    switch (command) {
      case "stream":
        return this.#stream(seq, stringField(body, "Type"));
      case "monitor":
        return this.#startMonitor(seq, stringField(body, "LogLevel"));
      case "stop":
        return this.#stop(seq, uintField(body, "Stop", Number.MAX_SAFE_INTEGER));
      case "respond":
        return this.#respond(
          seq,
          uintField(body, "ID", Number.MAX_SAFE_INTEGER),
          bytesField(body, "Payload"),
        );
    }
    runCommand(this, command, seq, body);
  }

  #handshake(seq: number, body: Map<string, MsgValue>): void {
    if (this.#version !== 0) return this.reply(seq, RPC_ERRORS.duplicateHandshake);
    if (intField(body, "Version") !== 1) return this.reply(seq, RPC_ERRORS.unsupportedVersion);
    this.#version = 1;
    this.reply(seq, "");
  }

  #auth(seq: number, body: Map<string, MsgValue>): void {
    const keyed = this.o.authKey !== undefined;
    if (keyed && this.o.authBackoff?.blocked()) {
      this.o.log.debug("serf.rpc.auth_backoff", {});
      return this.reply(seq, RPC_ERRORS.invalidAuthToken);
    }
    // As the agent: without a key only an empty token passes.
    if (stringField(body, "AuthKey") !== (this.o.authKey ?? "")) {
      this.reply(seq, RPC_ERRORS.invalidAuthToken);
      if (keyed) this.o.authBackoff?.failed();
      return;
    }
    this.#authed = true;
    this.reply(seq, "");
    if (keyed) this.o.authBackoff?.succeeded();
  }

  #stream(seq: number, type: string): void {
    const filters = parseStreamFilter(type);
    if (filters === null) return this.reply(seq, RPC_ERRORS.invalidFilter);
    if (this.#streams.has(seq)) return this.reply(seq, RPC_ERRORS.streamExists);
    if (this.#streams.size >= (this.o.streamsMax ?? 16)) return this.reply(seq, "Too many streams");
    this.reply(seq, "");
    const off = this.o.serf.subscribe((e) => {
      if (this.#closed || !streamWants(filters, e)) return;
      const id = e.type === "query" ? this.#registerQuery(e) : 0;
      this.reply(seq, "", eventRecord(e, id));
    });
    this.#streams.set(seq, off);
  }

  #registerQuery(e: QueryEvent): number {
    const now = this.o.serf.deps.clock.nowMs();
    for (const [id, q] of this.#queries) if (q.deadlineMs < now) this.#queries.delete(id);
    if (this.#queries.size >= (this.o.pendingQueriesMax ?? 256)) {
      this.#queries.delete(this.#queries.keys().next().value!);
    }
    const id = this.#nextQueryId++;
    this.#queries.set(id, e);
    return id;
  }

  /** `monitor`: the replayed and then live log lines at `level` and above, as `{Log}` records. */
  #startMonitor(seq: number, level: string): void {
    const min = monitorLevel(level);
    if (min === null) return this.reply(seq, `Unknown log level: ${level.toUpperCase()}`);
    if (this.#monitor !== null) return this.reply(seq, RPC_ERRORS.monitorExists);
    if (this.o.logs === undefined) return this.reply(seq, "Log streaming is not available");
    this.reply(seq, "");
    const off = this.o.logs.subscribe((r) => {
      if (!this.#closed && monitorWants(min, r.level)) this.reply(seq, "", { Log: serfLogLine(r) });
    });
    this.#monitor = { seq, off };
  }

  #stop(seq: number, stream: number): void {
    if (this.#monitor?.seq === stream) (this.#monitor.off(), this.#monitor = null);
    this.#streams.get(stream)?.();
    this.#streams.delete(stream);
    this.reply(seq, "");
  }

  #respond(seq: number, id: number, payload: Uint8Array): void {
    const q = this.#queries.get(id);
    if (q === undefined) return this.reply(seq, RPC_ERRORS.invalidQueryId);
    this.#queries.delete(id);
    try {
      q.respond(payload);
      this.reply(seq, "");
    } catch (e) {
      this.reply(seq, errorText(e));
    }
  }

  /** Sends a response header and, when given, a body object. */
  reply(seq: number, error: string, body?: EncValue): void {
    if (this.#closed) return;
    const header = encode({ Error: error, Seq: seq });
    if (body === undefined) return this.o.send(header);
    const b = encode(body);
    const out = new Uint8Array(header.length + b.length);
    out.set(header), out.set(b, header.length);
    this.o.send(out);
  }

  /** Stops streams and closes the connection. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#streams.values()) off();
    this.#monitor?.off();
    this.#monitor = null;
    this.#streams.clear();
    this.#queries.clear();
    this.o.close();
  }
}
