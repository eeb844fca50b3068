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

import type { Address } from "./types.ts";

/** Thrown for an IP literal or join target that cannot be parsed. */
export class AddressParseError extends Error {
  override name = "AddressParseError";
}

/** The IP literal for wire bytes; v4-mapped IPv6 becomes dotted IPv4; "" for other lengths. */
export function hostFromIp(ip: Uint8Array): string {
  if (ip.length === 4) return `${ip[0]}.${ip[1]}.${ip[2]}.${ip[3]}`;
  if (ip.length !== 16) return "";
  let mapped = ip[10] === 0xff && ip[11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) mapped = ip[i] === 0;
  if (mapped) return `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((ip[i]! << 8) | ip[i + 1]!).toString(16));
  return compressGroups(groups);
}

/** Writes the longest run (two or more) of zero groups as `::` (RFC 5952). */
function compressGroups(groups: string[]): string {
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < groups.length; i++) {
    let j = i;
    while (j < groups.length && groups[j] === "0") j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
  }
  if (bestAt < 0) return groups.join(":");
  return `${groups.slice(0, bestAt).join(":")}::${groups.slice(bestAt + bestLen).join(":")}`;
}

function v4Bytes(host: string): Uint8Array | null {
  const parts = host.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    out[i] = Number(p);
  }
  return out;
}

/** Whether `host` is an IPv4 or IPv6 literal (not a DNS name). */
export function isIpLiteral(host: string): boolean {
  try {
    ipFromHost(host);
    return true;
  } catch (err) {
    if (err instanceof AddressParseError) return false;
    throw err;
  }
}

/** Wire bytes for an IP literal: 4 for IPv4, 16 for IPv6. Throws {@linkcode AddressParseError}. */
export function ipFromHost(host: string): Uint8Array {
  const v4 = v4Bytes(host);
  if (v4) return v4;
  const halves = host.split("::");
  if (halves.length > 2 || !/^[0-9a-fA-F:]+$/.test(host)) {
    throw new AddressParseError(`Cannot parse IP address "${host}"`);
  }
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...new Array<string>(Math.max(0, fill)).fill("0"), ...tail];
  if (groups.length !== 8 || groups.some((g) => g.length === 0 || g.length > 4)) {
    throw new AddressParseError(`Cannot parse IP address "${host}"`);
  }
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

/** `host:port`, brackets around IPv6. */
export function formatAddress(a: Address): string {
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
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
  let host = rest;
  let port = defaultPort;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracket) {
    host = bracket[1]!;
    if (bracket[2]) port = Number(bracket[2]);
  } else if (rest.split(":").length === 2) {
    const i = rest.lastIndexOf(":");
    host = rest.slice(0, i);
    port = Number(rest.slice(i + 1));
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new AddressParseError(`Cannot parse join address "${text}": bad port`);
  }
  if (!/^[A-Za-z0-9.:_-]+$/.test(host) || (host.includes(":") && !isIpLiteral(host))) {
    throw new AddressParseError(`Cannot parse join address "${text}": bad host`);
  }
  return { name, address: { host, port } };
}
