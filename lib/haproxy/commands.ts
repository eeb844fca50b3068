/**
 * Builders for runtime-API commands. A {@linkcode Command} can only be made here, and every
 * builder validates its arguments first, so no unchecked text can reach the socket.
 *
 * @module
 */

import { HaproxyCommandError, stripSeverity } from "./errors.ts";
import { parseServerOptions } from "./server_options.ts";
import { type AddServerSpec, serverWords } from "./server_spec.ts";
import { parseIp, validateName, validatePort, validateWeight } from "./validate.ts";

export { type AddServerSpec, type CheckOptions, serverWords } from "./server_spec.ts";

/** What a successful reply looks like. */
export type ReplyExpectation = "empty" | "registered" | "deleted" | "data" | "addr";

const BUILDER = Symbol("command builder");

/**
 * Characters a formatted command line may contain: no `;`, `#`, quotes, backslash, blanks other
 * than space, or `\n` (`, @ + =` for server options such as `alpn h2,http/1.1`).
 */
const SAFE_LINE = /^[A-Za-z0-9._:\[\]/ ,@+=-]+$/;
/** Longest command line; HAProxy's CLI buffer is 16 KB (`tune.bufsize`). */
const LINE_LENGTH_MAX = 1024;

/**
 * One runtime-API command: one or more lines, built and validated by this module's functions.
 *
 * Each line is sent on its own and gets its own prompt on every HAProxy version. Lines are never
 * joined with `;`: HAProxy 2.6 and 3.0 answer each `;`-separated command with a prompt, 3.2
 * answers the whole line with one, so the reply count of a joined line depends on the version.
 */
export class Command {
  /** The lines sent to HAProxy, in order, without newlines; each gets exactly one reply. */
  readonly lines: readonly string[];
  /** What a successful reply looks like. */
  readonly expect: ReplyExpectation;

  /** Internal: use the builder functions (`addServerCommand`, ...). */
  constructor(token: symbol, lines: readonly string[], expect: ReplyExpectation) {
    if (token !== BUILDER) throw new TypeError("Commands are made by the builder functions");
    if (lines.length === 0) throw new TypeError("A command needs at least one line");
    for (const line of lines) {
      if (!SAFE_LINE.test(line)) throw new TypeError(`Unsafe command text ${JSON.stringify(line)}`);
      if (line.length > LINE_LENGTH_MAX) throw new TypeError("Command line too long");
    }
    this.lines = [...lines];
    this.expect = expect;
  }

  /**
   * Reads the replies to this command (one per line): returns the payload, or throws the
   * classified {@linkcode HaproxyCommandError}. A connection that answered is not a command that
   * succeeded.
   */
  interpret(bodies: readonly string[]): string {
    if (bodies.length !== this.lines.length) {
      throw new TypeError(`Expected ${this.lines.length} replies, got ${bodies.length}`);
    }
    return bodies.map((body, i) => interpretOne(this.lines[i]!, this.expect, body)).join("");
  }
}

function interpretOne(line: string, expect: ReplyExpectation, body: string): string {
  if (isErrorReply(body)) throw HaproxyCommandError.parse(line, body);
  const text = stripSeverity(body);
  if (expect === "data") return text;
  const trimmed = text.trim();
  if (expect === "empty" && trimmed === "") return "";
  if (expect === "registered" && trimmed === "New server registered.") return "";
  if (expect === "deleted" && trimmed === "Server deleted.") return "";
  // `set server ... addr`: "IP changed from ..., port changed from ..." (2.6 also says "no need
  // to change the addr"); a refusal ("Invalid addr ...") comes with the same `[warning]` prefix.
  if (expect === "addr" && /(changed from|no need to change)/.test(trimmed)) return "";
  throw HaproxyCommandError.parse(line, body);
}

function isErrorReply(body: string): boolean {
  return /^\[(emerg|alert|crit|err)\]: /.test(body) || /^(\[info\]: )?Unknown command/.test(body);
}

function cmd(expect: ReplyExpectation, ...lines: string[]): Command {
  return new Command(BUILDER, lines, expect);
}

function target(backend: string, server: string): string {
  return `${validateName("backend", backend)}/${validateName("server", server)}`;
}

/**
 * `add server B/S addr:port weight W [slowstart T] [id N] [backup] [check inter I rise R fall F]
 * [options…]`.
 */
export function addServerCommand(spec: AddServerSpec): Command {
  const [name, ...rest] = serverWords(spec);
  return cmd(
    "registered",
    [`add server ${validateName("backend", spec.backend)}/${name}`, ...rest].join(" "),
  );
}

/** `del server B/S`. */
export function delServerCommand(backend: string, server: string): Command {
  return cmd("deleted", `del server ${target(backend, server)}`);
}

/** Administrative states `set server B/S state` accepts. */
export type AdminState = "ready" | "drain" | "maint";

/** `set server B/S state ready|drain|maint`. */
export function setStateCommand(backend: string, server: string, state: AdminState): Command {
  if (state !== "ready" && state !== "drain" && state !== "maint") {
    throw new TypeError(`Unknown state ${JSON.stringify(state)}`);
  }
  return cmd("empty", `set server ${target(backend, server)} state ${state}`);
}

/**
 * `set server B/S state ready` then `set server B/S health down`, written together (two lines,
 * two replies): the server leaves maintenance as DOWN and goes UP only after `rise` passing checks
 * (HAProxy 2.6 otherwise starts it optimistically UP).
 */
export function readyAfterChecksCommand(backend: string, server: string): Command {
  const t = target(backend, server);
  return cmd("empty", `set server ${t} state ready`, `set server ${t} health down`);
}

/**
 * `set server B/S health down`: sent right after `state ready` (as its own command, so it needs
 * no `;`-joined line), a server leaves maintenance DOWN and goes UP only after `rise` checks.
 */
export function setHealthDownCommand(backend: string, server: string): Command {
  return cmd("empty", `set server ${target(backend, server)} health down`);
}

/** `enable health B/S`: starts the health checks configured by `add server ... check`. */
export function enableHealthCommand(backend: string, server: string): Command {
  return cmd("empty", `enable health ${target(backend, server)}`);
}

/** `set server B/S weight W`. */
export function setWeightCommand(backend: string, server: string, weight: number): Command {
  return cmd("empty", `set server ${target(backend, server)} weight ${validateWeight(weight)}`);
}

/**
 * `set server B/S addr A port P`: points a configuration server (a `server-template` slot) at a
 * new endpoint. The slot must have an address family already (a placeholder that resolved).
 */
export function setAddrCommand(
  backend: string,
  server: string,
  addr: string,
  port: number,
): Command {
  const ip = parseIp(addr).text; // IPv6 unbracketed: `addr` takes the address alone
  return cmd("addr", `set server ${target(backend, server)} addr ${ip} port ${validatePort(port)}`);
}

/** `shutdown sessions server B/S`: closes every session on the server. */
export function shutdownSessionsCommand(backend: string, server: string): Command {
  return cmd("empty", `shutdown sessions server ${target(backend, server)}`);
}

/** `show servers state [B]`. */
export function showServersStateCommand(backend?: string): Command {
  const suffix = backend === undefined ? "" : ` ${validateName("backend", backend)}`;
  return cmd("data", `show servers state${suffix}`);
}

/**
 * `show stat [B 6 -1]`: CSV statistics; with `backend`, that backend's servers plus its
 * `BACKEND` line (type 2 + 4), whose `qcur` counts requests queued at the backend.
 */
export function showStatCommand(backend?: string): Command {
  const suffix = backend === undefined ? "" : ` ${validateName("backend", backend)} 6 -1`;
  return cmd("data", `show stat${suffix}`);
}

/** `show info`. */
export function showInfoCommand(): Command {
  return cmd("data", "show info");
}

/** `show version`. */
export function showVersionCommand(): Command {
  return cmd("data", "show version");
}

/**
 * Name of the short-lived server that asks HAProxy whether a backend takes dynamic servers:
 * `<prefix>probe:capability`. HAProxy accepts `:` in server names, but {@linkcode validateName}
 * refuses it, so neither a desired server nor a name from `serverNameFor` can ever be this one.
 */
export function probeServerName(prefix: string): string {
  return `${validateName("prefix", prefix)}probe:capability`;
}

/**
 * The capability probe's commands for `backend`: `add` (weight 0 on 127.0.0.1:1, with the
 * backend's server options, so HAProxy judges them too; dynamic servers start in maintenance, so
 * it never takes traffic), `maint`, and `del`.
 */
export function probeCommands(
  backend: string,
  prefix: string,
  options: readonly string[] = [],
): { readonly add: Command; readonly maint: Command; readonly del: Command } {
  const t = `${validateName("backend", backend)}/${probeServerName(prefix)}`;
  const extra = options.length > 0 ? ` ${parseServerOptions(options.join(" ")).join(" ")}` : "";
  return {
    add: cmd("registered", `add server ${t} 127.0.0.1:1 weight 0${extra}`),
    maint: cmd("empty", `set server ${t} state maint`),
    del: cmd("deleted", `del server ${t}`),
  };
}

/** `prompt` and `set severity-output string`: the session preamble (internal to the client). */
export function sessionPreamble(): Command[] {
  return [cmd("empty", "prompt"), cmd("empty", "set severity-output string")];
}
