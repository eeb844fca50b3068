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

import { formatIp, joinHostPort, tryParseIp, unmapIp } from "../net/mod.ts";
import { ValidationError } from "./errors.ts";

/** Longest backend or server name accepted (HAProxy has no limit; long names break `show stat`). */
export const NAME_LENGTH_MAX = 64;

/** Characters of a safe backend or server name (HAProxy also allows `:`, which is left out). */
export const NAME_PATTERN = /^[A-Za-z0-9._-]+$/;

/** Highest weight HAProxy accepts. */
export const WEIGHT_MAX = 256;

/**
 * Lowest weight a task may announce (announce protocol: 1..256). HAProxy accepts 0, and the
 * reconciler's own commands may use it, but a task announcing 0 would be registered and get no
 * traffic: a task that wants none departs or announces not-ready, which drains it.
 */
export const ANNOUNCED_WEIGHT_MIN = 1;

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

/** Returns `weight` if it is an integer from 0 to {@linkcode WEIGHT_MAX}. */
export function validateWeight(weight: unknown): number {
  return validateInteger("weight", weight, 0, WEIGHT_MAX);
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
 * Parses an IPv4 or IPv6 literal (IPv6 optionally in brackets) and returns its canonical form
 * (`lib/net/`'s rules: a v4-mapped address is its IPv4 one). Host names, zone ids, leading zeros
 * in IPv4 octets and anything else are refused: HAProxy does not resolve names on dynamic servers.
 */
export function parseIp(addr: unknown): IpAddress {
  if (typeof addr === "string") {
    const inner = addr.startsWith("[") && addr.endsWith("]") ? addr.slice(1, -1) : addr;
    const bytes = tryParseIp(inner);
    if (bytes !== undefined && (inner === addr || bytes.length === 16)) {
      return { family: unmapIp(bytes).length === 4 ? 4 : 6, text: formatIp(bytes) };
    }
  }
  throw new ValidationError("addr", addr, "not an IPv4 or IPv6 literal");
}

/** Formats an address and port the way `add server` needs them (`[v6]:port`). */
export function formatEndpoint(ip: IpAddress, port: number): string {
  return joinHostPort(ip.text, validatePort(port));
}

/** True when `a` and `b` are IP literals for the same address (`::1` and `[::1]` are equal). */
export function sameIp(a: string, b: string): boolean {
  try {
    return parseIp(a).text === parseIp(b).text;
  } catch (err) {
    if (err instanceof ValidationError) return false;
    throw err;
  }
}
