/**
 * Named errors of the HAProxy runtime-API layer.
 *
 * HAProxy answers every command with text. {@linkcode HaproxyCommandError.parse} turns an error
 * reply into one of the classes below once, at the boundary, so callers classify with
 * `instanceof` and never look at message text.
 *
 * @module
 */

import { NamedError } from "../named_error.ts";

/** Base class of every error this layer throws. */
export class HaproxyError extends NamedError {}

/**
 * A backend name, server name, address, port, weight or option was refused before any command
 * was built. Nothing was sent to HAProxy.
 */
export class ValidationError extends HaproxyError {
  /** Which argument was refused (`backend`, `server`, `addr`, `port`, `weight`, ...). */
  readonly field: string;
  /** The refused value, as given. */
  readonly value: unknown;
  /** Creates the error for `field`, quoting `value` and saying why it was refused. */
  constructor(field: string, value: unknown, reason: string) {
    super(`Cannot use ${field} ${quote(value)}: ${reason}`);
    this.field = field;
    this.value = value;
  }
}

/** The admin socket could not be reached, or the connection closed before a reply. */
export class HaproxyConnectionError extends HaproxyError {
  /** Creates the error with a message and the underlying cause. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** No reply arrived within the read timeout; the connection was dropped. */
export class HaproxyTimeoutError extends HaproxyError {
  /** Creates the error with a message. */
  constructor(message: string) {
    super(message);
  }
}

/** HAProxy sent something this layer cannot read (format version, framing, size bound). */
export class HaproxyProtocolError extends HaproxyError {
  /** Creates the error with a message. */
  constructor(message: string) {
    super(message);
  }
}

/** Why a backend failed {@linkcode BackendCheckError}'s start-up check. */
export type BackendCheckReason = "missing" | "not-dynamic" | "options";

/** A managed backend cannot take dynamic servers, or does not exist. */
export class BackendCheckError extends HaproxyError {
  /** The backend that failed the check. */
  readonly backend: string;
  /**
   * Why: the backend is missing, its balance algorithm is not dynamic, or HAProxy refused its
   * `--server-options` (the message then ends with HAProxy's own reply).
   */
  readonly reason: BackendCheckReason;
  /** Creates the error for `backend` with the reason it failed (`detail`: HAProxy's words). */
  constructor(
    backend: string,
    reason: BackendCheckReason,
    options?: ErrorOptions & { detail?: string },
  ) {
    const why = reason === "missing"
      ? "HAProxy has no such backend"
      : reason === "options"
      ? `its server options were refused: ${options?.detail ?? "unknown reason"}`
      : "its balance algorithm is not dynamic; use roundrobin, leastconn, first, random, " +
        "or a hash with 'hash-type consistent'";
    super(`Cannot manage servers in backend ${quote(backend)}: ${why}`, options);
    this.backend = backend;
    this.reason = reason;
  }
}

/** HAProxy is older than this layer supports (2.6, where `add server` became stable). */
export class UnsupportedVersionError extends HaproxyError {
  /** Creates the error for the version HAProxy reported. */
  constructor(version: string) {
    super(`Cannot manage HAProxy ${quote(version)}: version 2.6 or newer is required`);
  }
}

/**
 * HAProxy refused a command. The subclass says why; {@linkcode HaproxyCommandError.parse} picks
 * it from the reply text.
 */
export class HaproxyCommandError extends HaproxyError {
  /** The command line that was refused. */
  readonly command: string;
  /** HAProxy's reply, without the severity prefix. */
  readonly reply: string;
  /** Creates the error for a refused command and HAProxy's reply. */
  constructor(command: string, reply: string) {
    super(`HAProxy refused ${quote(command)}: ${quote(reply)}`);
    this.command = command;
    this.reply = reply;
  }

  /**
   * Classifies an error reply into the most specific error class.
   *
   * @example
   * ```ts
   * import { HaproxyCommandError, NoSuchServerError } from "./errors.ts";
   * const err = HaproxyCommandError.parse("del server be/x", "[err]: No such server.\n");
   * console.assert(err instanceof NoSuchServerError);
   * ```
   */
  static parse(command: string, text: string): HaproxyCommandError {
    const reply = stripSeverity(text).trim();
    for (const [pattern, Ctor] of REPLY_CLASSES) {
      if (pattern.test(reply)) return new Ctor(command, reply);
    }
    return new HaproxyCommandError(command, reply);
  }
}

/** The backend does not exist (`No such backend.`, `Can't find backend.`, `No such proxy.`). */
export class NoSuchBackendError extends HaproxyCommandError {}
/** The server does not exist in that backend. */
export class NoSuchServerError extends HaproxyCommandError {}
/** `add server`: a server with that name already exists in the backend. */
export class ServerAlreadyExistsError extends HaproxyCommandError {}
/** `del server`: the server is not in maintenance mode. */
export class NotInMaintenanceError extends HaproxyCommandError {}
/** `del server`: sessions, queued requests or idle connections are still attached. */
export class StillHasConnectionsError extends HaproxyCommandError {}
/** `add server`: the backend's balance algorithm cannot take dynamic servers. */
export class NotDynamicBackendError extends HaproxyCommandError {}
/** The command is unknown to this HAProxy (or the socket's level does not allow it). */
export class UnknownCommandError extends HaproxyCommandError {}
/** The socket's level is below `admin`. */
export class PermissionDeniedError extends HaproxyCommandError {}

/** `add server ... id N`: another server of the backend already has id N. */
export class IdInUseError extends HaproxyCommandError {}

type CommandErrorClass = new (command: string, reply: string) => HaproxyCommandError;

/** Reply texts of HAProxy 2.6 (and later; see the spec's tables), most specific first. */
const REPLY_CLASSES: ReadonlyArray<readonly [RegExp, CommandErrorClass]> = [
  [/^(No such backend\.|Can't find backend\.|No such proxy\.)/, NoSuchBackendError],
  [/^No such server\./, NoSuchServerError],
  [/^Already exists a server with the same name in backend\./, ServerAlreadyExistsError],
  [/^Only servers in maintenance mode can be deleted\./, NotInMaintenanceError],
  [/^Server still has connections attached to it/, StillHasConnectionsError],
  [/^Backend must use a dynamic load balancing/, NotDynamicBackendError],
  [/^Unknown command/, UnknownCommandError],
  [/^Permission denied/, PermissionDeniedError],
  [/^'id' : custom id \d+ already used/, IdInUseError],
];

/**
 * What kind of failure an error is, one value per error class above (`other` for the rest): the
 * `kind` label of the sidecar's `shoal_sidecar_haproxy_command_errors_total`.
 */
export type HaproxyErrorKind =
  | "connection"
  | "timeout"
  | "protocol"
  | "validation"
  | "no_such_backend"
  | "no_such_server"
  | "already_exists"
  | "not_in_maintenance"
  | "still_has_connections"
  | "not_dynamic_backend"
  | "unknown_command"
  | "permission_denied"
  | "other";

const ERROR_KINDS: readonly [new (...args: never[]) => HaproxyError, HaproxyErrorKind][] = [
  [ValidationError, "validation"],
  [HaproxyConnectionError, "connection"],
  [HaproxyTimeoutError, "timeout"],
  [HaproxyProtocolError, "protocol"],
  [NoSuchBackendError, "no_such_backend"],
  [NoSuchServerError, "no_such_server"],
  [ServerAlreadyExistsError, "already_exists"],
  [NotInMaintenanceError, "not_in_maintenance"],
  [StillHasConnectionsError, "still_has_connections"],
  [NotDynamicBackendError, "not_dynamic_backend"],
  [UnknownCommandError, "unknown_command"],
  [PermissionDeniedError, "permission_denied"],
];

/**
 * The {@linkcode HaproxyErrorKind} of `error`.
 *
 * @example
 * ```ts
 * import { errorKind, HaproxyCommandError } from "./errors.ts";
 * console.assert(errorKind(HaproxyCommandError.parse("del server be/x", "No such server.")) === "no_such_server");
 * ```
 */
export function errorKind(error: HaproxyError): HaproxyErrorKind {
  for (const [cls, kind] of ERROR_KINDS) if (error instanceof cls) return kind;
  return "other";
}

const SEVERITY_PREFIX = /^\[(emerg|alert|crit|err|warning|notice|info|debug)\]: /;

/** Removes the `[err]: ` style prefix that `set severity-output string` adds. */
export function stripSeverity(text: string): string {
  return text.replace(SEVERITY_PREFIX, "");
}

const QUOTE_MAX = 80;

/** Quotes a value for an error message, bounded so hostile input cannot flood logs. */
export function quote(value: unknown): string {
  const text = typeof value === "string" ? value : String(value);
  const cut = text.length > QUOTE_MAX ? `${text.slice(0, QUOTE_MAX)}…` : text;
  return JSON.stringify(cut);
}
