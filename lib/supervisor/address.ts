/**
 * Listen addresses: parsing `HOST:PORT` / `[V6]:PORT` literals into socket address bytes.
 *
 * Only IP literals are accepted (no name resolution): the supervisor binds before anything else
 * and must not depend on DNS.
 *
 * @module
 */

import { AddressParseError, isUnspecified, parseHostPort, parseIp } from "../net/mod.ts";
import { SpecError } from "./errors.ts";

/** `host:port`, bracketing IPv6 hosts (the one in `lib/net/`, under the supervisor's old name). */
export { joinHostPort as formatHostPort } from "../net/mod.ts";

/** A parsed listen address. */
export interface ListenAddress {
  /** 4 or 6. */
  readonly family: 4 | 6;
  /** The host as canonical IP text (a v4-mapped one dotted), without brackets (`0.0.0.0`, `::1`). */
  readonly host: string;
  /** The port; 0 lets the kernel choose. */
  readonly port: number;
  /** The 4 or 16 address bytes in network order. */
  readonly bytes: Uint8Array;
}

/**
 * Parses `HOST:PORT` (IPv4) or `[HOST]:PORT` (IPv6).
 *
 * @example
 * ```ts
 * import { parseListenAddress } from "./address.ts";
 * console.assert(parseListenAddress("[::1]:0").family === 6);
 * console.assert(parseListenAddress("127.0.0.1:8080").port === 8080);
 * ```
 */
export function parseListenAddress(text: string): ListenAddress {
  try {
    const { host, port } = parseHostPort(text, { allowZeroPort: true, ipOnly: true });
    const bytes = parseIp(host);
    return { family: bytes.length === 4 ? 4 : 6, host, port, bytes };
  } catch (err) {
    if (!(err instanceof AddressParseError)) throw err;
    throw new SpecError(`Cannot parse listen address "${text}": ${err.message}`);
  }
}

/**
 * The address a local client should connect to for a socket bound on `addr`: the loopback
 * address of the family when bound to the wildcard, else the bound host.
 */
export function connectHost(addr: Pick<ListenAddress, "family" | "bytes" | "host">): string {
  if (!isUnspecified(addr.bytes)) return addr.host;
  return addr.family === 6 ? "::1" : "127.0.0.1";
}
