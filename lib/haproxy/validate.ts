/**
 * Allow-list validation of everything that goes into a runtime-API command.
 *
 * The CLI splits commands on `;` and newlines and words on blanks, so a name such as
 * `x;set server be/victim state maint` would run a second command. Every value is checked here
 * against a strict allow-list and re-serialised before a command is formatted; anything else is
 * refused with a {@linkcode ValidationError}.
 *
 * @module
 */

import { ValidationError } from "./errors.ts";

/** Longest backend or server name accepted (HAProxy has no limit; long names break `show stat`). */
export const NAME_LENGTH_MAX = 64;

/** Characters of a safe backend or server name (HAProxy also allows `:`, which is left out). */
export const NAME_PATTERN = /^[A-Za-z0-9._-]+$/;

/** Highest weight HAProxy accepts. */
export const WEIGHT_MAX = 256;

/**
 * Returns `name` if it is a safe backend or server name: 1 to 64 characters from
 * `[A-Za-z0-9._-]`. Throws {@linkcode ValidationError} otherwise.
 */
export function validateName(field: "backend" | "server" | "prefix", name: unknown): string {
  if (typeof name !== "string") throw new ValidationError(field, name, "not a string");
  if (name.length === 0) throw new ValidationError(field, name, "empty");
  if (name.length > NAME_LENGTH_MAX) {
    throw new ValidationError(field, name, `longer than ${NAME_LENGTH_MAX} characters`);
  }
  if (!NAME_PATTERN.test(name)) {
    throw new ValidationError(field, name, "only A-Z, a-z, 0-9, '.', '_' and '-' are allowed");
  }
  return name;
}

/** Returns `port` if it is an integer from 1 to 65535. */
export function validatePort(port: unknown): number {
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ValidationError("port", port, "must be an integer from 1 to 65535");
  }
  return port;
}

/** Returns `weight` if it is an integer from 0 to 256. */
export function validateWeight(weight: unknown): number {
  if (typeof weight !== "number" || !Number.isInteger(weight) || weight < 0 || weight > 256) {
    throw new ValidationError("weight", weight, "must be an integer from 0 to 256");
  }
  return weight;
}

/** Returns `value` if it is an integer within [min, max]. */
export function validateInteger(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(field, value, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** A parsed IP literal in canonical text form. */
export interface IpAddress {
  /** 4 for IPv4, 6 for IPv6. */
  readonly family: 4 | 6;
  /** Canonical text: dotted quad, or RFC 5952 lower-case compressed IPv6 (no brackets). */
  readonly text: string;
}

/**
 * Parses an IPv4 or IPv6 literal (IPv6 optionally in brackets) and returns its canonical form.
 * Host names, zone ids, leading zeros in IPv4 octets and anything else are refused: HAProxy does
 * not resolve names on dynamic servers.
 */
export function parseIp(addr: unknown): IpAddress {
  if (typeof addr !== "string" || addr.length > 47) {
    throw new ValidationError("addr", addr, "not an IP literal");
  }
  const v4 = parseIpv4(addr);
  if (v4) return { family: 4, text: v4.join(".") };
  const inner = addr.startsWith("[") && addr.endsWith("]") ? addr.slice(1, -1) : addr;
  const v6 = parseIpv6(inner);
  if (v6) return { family: 6, text: formatIpv6(v6) };
  throw new ValidationError("addr", addr, "not an IPv4 or IPv6 literal");
}

/** Formats an address and port the way `add server` needs them (`[v6]:port`). */
export function formatEndpoint(ip: IpAddress, port: number): string {
  const host = ip.family === 6 ? `[${ip.text}]` : ip.text;
  return `${host}:${validatePort(port)}`;
}

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const octets: number[] = [];
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    octets.push(n);
  }
  return octets;
}

function parseIpv6(text: string): number[] | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] === "" ? [] : halves[0]!.split(":");
  const tail = halves.length === 2 && halves[1] !== "" ? halves[1]!.split(":") : [];
  const groups: number[] = [];
  const tailGroups: number[] = [];
  if (!pushGroups(head, groups, false) || !pushGroups(tail, tailGroups, true)) return undefined;
  if (halves.length === 1) {
    return groups.length === 8 ? groups : undefined;
  }
  const missing = 8 - groups.length - tailGroups.length;
  if (missing < 1) return undefined;
  return [...groups, ...new Array<number>(missing).fill(0), ...tailGroups];
}

/** Appends 16-bit groups; a dotted IPv4 tail is allowed only as the last word of the address. */
function pushGroups(words: string[], out: number[], isTail: boolean): boolean {
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word.includes(".")) {
      const last = i === words.length - 1 && (isTail || words.length === 7);
      const v4 = last ? parseIpv4(word) : undefined;
      if (!v4) return false;
      out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(word)) return false;
      out.push(parseInt(word, 16));
    }
  }
  return true;
}

function formatIpv6(groups: number[]): string {
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  const left = hex.slice(0, bestStart).join(":");
  const right = hex.slice(bestStart + bestLen).join(":");
  return `${left}::${right}`;
}

/** True when `a` and `b` are IP literals for the same address (`::1` and `[::1]` are equal). */
export function sameIp(a: string, b: string): boolean {
  try {
    return parseIp(a).text === parseIp(b).text;
  } catch {
    return false;
  }
}
