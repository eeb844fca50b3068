/**
 * IP literals: parse, classify, format, compare. The one home for these rules (issue 14), used by
 * the gossip and serf wire code, the CLI, the supervisor's listen addresses and the HAProxy
 * command validator.
 *
 * The rules:
 * - IPv4 is four decimal octets 0-255 **without leading zeros** (`010.0.0.1` is refused: C's
 *   `inet_aton` reads it as octal 8.0.0.1, Go's `net.ParseIP` refuses it).
 * - IPv6 is eight hex groups of 1-4 digits, one `::` at most, optionally ending in a dotted IPv4
 *   (`::ffff:10.0.0.1`). No zone (`%eth0`), no brackets: those belong to `host:port` text.
 * - A v4-mapped IPv6 address (`::ffff:a.b.c.d`) *is* that IPv4 address: {@linkcode formatIp}
 *   writes it dotted and {@linkcode sameIp} finds the two equal, as Go's `net.IP` does.
 *
 * @example
 * ```ts
 * import { formatIp, parseIp, sameIp } from "./ip.ts";
 * console.assert(formatIp(parseIp("2001:DB8:0:0:0:0:0:1")) === "2001:db8::1");
 * console.assert(sameIp("::ffff:10.0.0.1", "10.0.0.1"));
 * ```
 *
 * @module
 */

/** Thrown for an IP literal or `host:port` text that cannot be parsed. */
export class AddressParseError extends Error {
  override name = "AddressParseError";
}

/** Longest IP literal we read (a full IPv6 with a dotted tail is 45 characters). */
const IP_TEXT_MAX = 45;

const OCTET = /^(0|[1-9][0-9]{0,2})$/;
const GROUP = /^[0-9A-Fa-f]{1,4}$/;

/** The 4 bytes of a dotted-quad IPv4 literal; `undefined` when `text` is not one. */
function parseIpv4Bytes(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!OCTET.test(part) || Number(part) > 255) return undefined;
    out[i] = Number(part);
  }
  return out;
}

/** Appends the 16-bit words of `groups`; a dotted IPv4 may only be the address's last word. */
function pushWords(groups: readonly string[], out: number[], endsAddress: boolean): boolean {
  for (let i = 0; i < groups.length; i++) {
    const group = groups[i]!;
    if (group.includes(".")) {
      const v4 = endsAddress && i === groups.length - 1 ? parseIpv4Bytes(group) : undefined;
      if (v4 === undefined) return false;
      out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else if (GROUP.test(group)) out.push(parseInt(group, 16));
    else return false;
  }
  return true;
}

/** The 16 bytes of an IPv6 literal; `undefined` when `text` is not one. */
function parseIpv6Bytes(text: string): Uint8Array | undefined {
  if (!text.includes(":")) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] === "" ? [] : halves[0]!.split(":");
  const tail = halves.length === 2 && halves[1] !== "" ? halves[1]!.split(":") : [];
  const words: number[] = [];
  const tailWords: number[] = [];
  if (!pushWords(head, words, halves.length === 1) || !pushWords(tail, tailWords, true)) {
    return undefined;
  }
  const missing = 8 - words.length - tailWords.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...words, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0)];
  all.push(...tailWords);
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/**
 * The bytes of an IP literal as written: 4 for IPv4, 16 for IPv6 (a v4-mapped literal stays 16;
 * see {@linkcode unmapIp}). `undefined` when `text` is not an IP literal.
 */
export function tryParseIp(text: string): Uint8Array | undefined {
  if (text.length > IP_TEXT_MAX) return undefined;
  return parseIpv4Bytes(text) ?? parseIpv6Bytes(text);
}

/**
 * Like {@linkcode tryParseIp}, but throws {@linkcode AddressParseError}.
 *
 * @example
 * ```ts
 * import { parseIp } from "./ip.ts";
 * console.assert(parseIp("10.1.2.3").length === 4 && parseIp("::1").length === 16);
 * ```
 */
export function parseIp(text: string): Uint8Array {
  const bytes = tryParseIp(text);
  if (bytes === undefined) throw new AddressParseError(`Cannot parse IP address "${text}"`);
  return bytes;
}

/** True for an IPv4 or IPv6 literal (not a DNS name, no brackets or zone). */
export function isIp(text: string): boolean {
  return tryParseIp(text) !== undefined;
}

/** True for a dotted-quad IPv4 literal. */
export function isIpv4(text: string): boolean {
  return parseIpv4Bytes(text) !== undefined;
}

/** True for an IPv6 literal (including v4-mapped ones such as `::ffff:10.0.0.1`). */
export function isIpv6(text: string): boolean {
  return text.length <= IP_TEXT_MAX && parseIpv6Bytes(text) !== undefined;
}

/** True for 16 bytes of the form `::ffff:a.b.c.d`. */
export function isV4Mapped(ip: Uint8Array): boolean {
  if (ip.length !== 16 || ip[10] !== 0xff || ip[11] !== 0xff) return false;
  for (let i = 0; i < 10; i++) if (ip[i] !== 0) return false;
  return true;
}

/** True for the unspecified ("any") address, `0.0.0.0` or `::`. */
export function isUnspecified(ip: Uint8Array): boolean {
  return ip.every((b) => b === 0);
}

/** The 4-byte form of a v4-mapped address; any other address unchanged. */
export function unmapIp(ip: Uint8Array): Uint8Array {
  return isV4Mapped(ip) ? ip.subarray(12) : ip;
}

/** Writes the longest run (two or more) of zero words as `::` (RFC 5952 §4.2). */
function compressWords(words: readonly number[]): string {
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < words.length;) {
    let j = i;
    while (j < words.length && words[j] === 0) j++;
    if (j - i > bestLen) [bestAt, bestLen] = [i, j - i];
    i = j > i ? j : i + 1;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestAt < 0) return hex.join(":");
  return `${hex.slice(0, bestAt).join(":")}::${hex.slice(bestAt + bestLen).join(":")}`;
}

/**
 * The canonical text of IP bytes: dotted IPv4 (v4-mapped IPv6 too), RFC 5952 lower-case
 * compressed IPv6. Throws {@linkcode AddressParseError} for a length other than 4 or 16.
 *
 * @example
 * ```ts
 * import { formatIp } from "./ip.ts";
 * console.assert(formatIp(Uint8Array.of(10, 0, 0, 7)) === "10.0.0.7");
 * ```
 */
export function formatIp(ip: Uint8Array): string {
  const v4 = unmapIp(ip);
  if (v4.length === 4) return v4.join(".");
  if (ip.length !== 16) throw new AddressParseError(`Cannot read IP address of ${ip.length} bytes`);
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((ip[i]! << 8) | ip[i + 1]!);
  return compressWords(words);
}

/** The canonical text ({@linkcode formatIp}) of an IP literal. Throws {@linkcode AddressParseError}. */
export function canonicalIp(text: string): string {
  return formatIp(parseIp(text));
}

/**
 * True when `a` and `b` (literals or wire bytes) are the same address; a v4-mapped address equals
 * its IPv4 form. Anything that is not an IP is equal to nothing.
 *
 * @example
 * ```ts
 * import { sameIp } from "./ip.ts";
 * console.assert(sameIp("::1", "0:0:0:0:0:0:0:1") && !sameIp("::1", "localhost"));
 * ```
 */
export function sameIp(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const x = typeof a === "string" ? tryParseIp(a) : a;
  const y = typeof b === "string" ? tryParseIp(b) : b;
  if (x === undefined || y === undefined) return false;
  const p = unmapIp(x), q = unmapIp(y);
  return (p.length === 4 || p.length === 16) && p.length === q.length &&
    p.every((v, i) => v === q[i]);
}
