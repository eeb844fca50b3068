/**
 * Listen addresses: parsing `HOST:PORT` / `[V6]:PORT` literals into socket address bytes.
 *
 * Only IP literals are accepted (no name resolution): the supervisor binds before anything else
 * and must not depend on DNS.
 *
 * @module
 */

import { SpecError } from "./errors.ts";

/** A parsed listen address. */
export interface ListenAddress {
  /** 4 or 6. */
  readonly family: 4 | 6;
  /** The host as written, without brackets (`0.0.0.0`, `::1`). */
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
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  const v4 = /^([0-9.]+):(\d+)$/.exec(text);
  const m = v6 ?? v4;
  if (m === null) {
    throw new SpecError(`Cannot parse listen address "${text}": expected HOST:PORT or [V6]:PORT`);
  }
  const host = m[1]!;
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port > 65535) {
    throw new SpecError(`Cannot parse listen address "${text}": port out of range`);
  }
  const bytes = v6 ? parseIpv6(host) : parseIpv4(host);
  if (bytes === undefined) {
    throw new SpecError(`Cannot parse listen address "${text}": "${host}" is not an IP literal`);
  }
  return { family: v6 ? 6 : 4, host, port, bytes };
}

/** Formats `host` and `port` as `host:port`, bracketing IPv6 hosts. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The address a local client should connect to for a socket bound on `addr`: the loopback
 * address of the family when bound to the wildcard, else the bound host.
 */
export function connectHost(addr: Pick<ListenAddress, "family" | "bytes" | "host">): string {
  const wildcard = addr.bytes.every((b) => b === 0);
  if (!wildcard) return addr.host;
  return addr.family === 6 ? "::1" : "127.0.0.1";
}

/** Parses dotted-quad IPv4; `undefined` when malformed. */
export function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

/** Parses an IPv6 literal (with `::` and an optional trailing dotted quad); `undefined` when malformed. */
export function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] === "" ? [] : halves[0]!.split(":");
  const tail = halves.length === 2 ? (halves[1] === "" ? [] : halves[1]!.split(":")) : [];
  const words: number[] = [];
  const pushGroups = (groups: string[]): boolean => {
    for (const [i, g] of groups.entries()) {
      if (g.includes(".") && i === groups.length - 1) {
        const v4 = parseIpv4(g);
        if (v4 === undefined) return false;
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) words.push(parseInt(g, 16));
      else return false;
    }
    return true;
  };
  if (!pushGroups(head)) return undefined;
  const headWords = words.length;
  if (!pushGroups(tail)) return undefined;
  const missing = 8 - words.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  if (halves.length === 2) words.splice(headWords, 0, ...new Array<number>(missing).fill(0));
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}
