/**
 * Parsers for the value types flags take: host:port pairs, `key=value` tags, comma lists.
 * Each refuses a bad value with a {@linkcode FlagValueError} (or `lib/net/`'s
 * `AddressParseError`) whose message the flag layer prefixes with the flag's name.
 *
 * @module
 */

import {
  type HostPort as NetHostPort,
  type HostPortOptions as NetHostPortOptions,
  joinHostPort,
  parseHostPort as parseNetHostPort,
} from "../net/mod.ts";

/** A flag value that does not parse; the flag layer turns it into a usage error naming the flag. */
export class FlagValueError extends Error {
  override name = "FlagValueError";
}

/** The default gossip port, as serf and memberlist use. */
export const DEFAULT_GOSSIP_PORT = 7946;

/** A parsed `host:port`. `host` is canonical IP text or a DNS name, IPv6 without brackets. */
export type HostPort = NetHostPort;

/** Options for {@linkcode parseHostPort}. */
export type HostPortOptions = Omit<NetHostPortOptions, "ipOnly">;

/**
 * Parses `host:port`, `[v6]:port`, or a bare host when a default port is given (surrounding
 * blanks ignored). The rules are `lib/net/`'s, so every layer accepts the same addresses.
 *
 * @example
 * ```ts
 * import { parseHostPort } from "./values.ts";
 * console.assert(parseHostPort("10.0.0.1", { defaultPort: 7946 }).port === 7946);
 * console.assert(parseHostPort("[::1]:80").host === "::1");
 * console.assert(parseHostPort(":7946", { anyHost: true }).host === "0.0.0.0");
 * ```
 */
export function parseHostPort(text: string, options: HostPortOptions = {}): HostPort {
  return parseNetHostPort(text.trim(), options);
}

/** Formats a host and port, bracketing IPv6. */
export function formatHostPort(hp: HostPort): string {
  return joinHostPort(hp.host, hp.port);
}

/** Splits repeated and comma-separated values, dropping empty items. */
export function splitList(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");
}

/** Tag keys: what serf accepts in practice and what is safe in logs and HAProxy. */
const TAG_KEY = /^[A-Za-z0-9_.\-]{1,64}$/;

/**
 * Parses `key=value` (the value may be empty or contain `=`).
 *
 * @example
 * ```ts
 * import { parseTag } from "./values.ts";
 * console.assert(parseTag("role=task")[1] === "task");
 * ```
 */
export function parseTag(text: string): [string, string] {
  const i = text.indexOf("=");
  if (i <= 0) throw new FlagValueError(`${JSON.stringify(text)} is not key=value`);
  const key = text.slice(0, i);
  if (!TAG_KEY.test(key)) {
    throw new FlagValueError(`tag key ${JSON.stringify(key)} must be 1-64 of A-Z a-z 0-9 _ . -`);
  }
  return [key, text.slice(i + 1)];
}
