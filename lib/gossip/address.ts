/**
 * Addresses on the gossip wire (wire spec §3.5): IPs travel as 4 or 16 raw bytes; we dial and
 * compare IP literals, with v4-mapped IPv6 normalised to IPv4. Also parses join targets.
 *
 * @example
 * ```ts
 * import { hostFromIp, ipFromHost, parseJoinTarget } from "./address.ts";
 * console.assert(hostFromIp(ipFromHost("127.0.0.1")) === "127.0.0.1");
 * console.assert(parseJoinTarget("b/127.0.0.1:7947", 7946).address.port === 7947);
 * ```
 *
 * @module
 */

import {
  AddressParseError,
  formatIp,
  isIp,
  joinHostPort,
  parseHostPort,
  parseIp,
} from "../net/mod.ts";
import type { Address } from "./types.ts";
import type { IndirectPing, Ping } from "./wire/messages.ts";

export { AddressParseError };

/** The IP literal for wire bytes; v4-mapped IPv6 becomes dotted IPv4; "" for other lengths. */
export function hostFromIp(ip: Uint8Array): string {
  return ip.length === 4 || ip.length === 16 ? formatIp(ip) : "";
}

/** Whether `host` is an IPv4 or IPv6 literal (not a DNS name). */
export const isIpLiteral: (host: string) => boolean = isIp;

/** Wire bytes for an IP literal: 4 for IPv4, 16 for IPv6. Throws {@linkcode AddressParseError}. */
export const ipFromHost: (host: string) => Uint8Array = parseIp;

/** `host:port`, brackets around IPv6. */
export function formatAddress(a: Address): string {
  return joinHostPort(a.host, a.port);
}

/** A stable map key for an address. */
export function addressKey(a: Address): string {
  return formatAddress(a);
}

/**
 * A join target: `host`, `host:port`, `[v6]:port`, optionally prefixed by `nodeName/`. The host
 * may be an IP literal or a DNS name (see {@linkcode isIpLiteral}).
 */
export interface JoinTarget {
  readonly name: string | null;
  readonly address: Address;
}

/** Parses a join target; the port defaults to `defaultPort`. Throws {@linkcode AddressParseError}. */
export function parseJoinTarget(text: string, defaultPort: number): JoinTarget {
  // the last slash: a node name may contain one, an address never does
  const slash = text.lastIndexOf("/");
  const name = slash >= 0 ? text.slice(0, slash) : null;
  const rest = slash >= 0 ? text.slice(slash + 1) : text;
  try {
    return { name, address: parseHostPort(rest, { defaultPort }) };
  } catch (err) {
    if (!(err instanceof AddressParseError)) throw err;
    throw new AddressParseError(`Cannot parse join address "${text}": ${err.message}`);
  }
}

/**
 * The IP literals to try for a join target's `host`: the literal itself, or what `resolveHost`
 * (DNS) answers for a name; throws {@linkcode AddressParseError} for a name without a resolver.
 */
export async function resolveJoinHost(
  host: string,
  resolveHost: ((name: string) => Promise<string[]>) | undefined,
): Promise<string[]> {
  if (isIpLiteral(host)) return [host];
  if (!resolveHost) {
    throw new AddressParseError(`Cannot join "${host}": not an IP address and no resolver`);
  }
  return (await resolveHost(host)).filter(isIpLiteral);
}

/** Where to answer a ping or indirect ping: its source fields when both are set, else the sender. */
export function replyAddress(m: Ping | IndirectPing, from: Address): Address {
  if (m.sourceAddr && m.sourceAddr.length > 0 && m.sourcePort) {
    const host = hostFromIp(m.sourceAddr);
    if (host !== "") return { host, port: m.sourcePort };
  }
  return from;
}
