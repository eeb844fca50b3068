/**
 * Conversions between wire IP bytes (4 or 16 bytes, wire spec §3.5) and IP literals.
 *
 * @module
 */

import { SerfDecodeError } from "./errors.ts";

/** An IP literal from wire bytes; v4-mapped IPv6 becomes dotted IPv4. */
export function ipToString(ip: Uint8Array): string {
  if (ip.length === 4) return ip.join(".");
  if (ip.length !== 16) throw new SerfDecodeError(`Cannot read IP address of ${ip.length} bytes`);
  const mapped = ip.subarray(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff;
  if (mapped) return ip.subarray(12).join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((ip[i]! << 8) | ip[i + 1]!).toString(16));
  return compressV6(groups);
}

/** Writes the longest run (two or more) of zero groups as `::`, as RFC 5952 asks. */
function compressV6(groups: string[]): string {
  let bestAt = -1, bestLen = 1;
  for (let i = 0; i < groups.length;) {
    let j = i;
    while (j < groups.length && groups[j] === "0") j++;
    if (j - i > bestLen) (bestAt = i, bestLen = j - i);
    i = j > i ? j : i + 1;
  }
  if (bestAt < 0) return groups.join(":");
  const head = groups.slice(0, bestAt).join(":");
  const tail = groups.slice(bestAt + bestLen).join(":");
  return `${head}::${tail}`;
}

/** Wire bytes of an IP literal: 4 bytes for IPv4, 16 for IPv6. */
export function ipToBytes(host: string): Uint8Array {
  const v4 = host.split(".");
  if (v4.length === 4 && v4.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
    return Uint8Array.from(v4.map(Number));
  }
  const halves = host.split("::");
  if (halves.length > 2 || !/^[0-9a-fA-F:]+$/.test(host)) {
    throw new SerfDecodeError(`Cannot parse IP address "${host}"`);
  }
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const parts = [...head, ...Array<string>(fill).fill("0"), ...tail];
  if (parts.length !== 8) throw new SerfDecodeError(`Cannot parse IP address "${host}"`);
  const out = new Uint8Array(16);
  parts.forEach((p, i) => {
    const v = parseInt(p, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

/** `host:port`, with IPv6 hosts in brackets. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** True when two wire IPs denote the same address (4-byte and v4-mapped forms are equal). */
export function sameIp(a: Uint8Array, b: Uint8Array): boolean {
  return ipToString(a) === ipToString(b);
}
