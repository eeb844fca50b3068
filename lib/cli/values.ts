/**
 * Parsers for the value types flags take: host:port pairs, `key=value` tags, comma lists.
 * Each throws a plain `Error` whose message the flag layer prefixes with the flag's name.
 *
 * @module
 */

/** The default gossip port, as serf and memberlist use. */
export const DEFAULT_GOSSIP_PORT = 7946;

/** A parsed `host:port`. `host` is an IP literal or a DNS name, IPv6 without brackets. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Options for {@linkcode parseHostPort}. */
export interface HostPortOptions {
  /** Port used when the text has none; when absent, a port is required. */
  defaultPort?: number;
  /** Accept port 0 (an ephemeral port chosen by the kernel). @default false */
  allowZeroPort?: boolean;
  /** Read `:port` (no host) as every IPv4 interface, `0.0.0.0`, as serf and HAProxy do. */
  anyHost?: boolean;
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** True for an IPv4 literal. */
export function isIPv4(s: string): boolean {
  return IPV4.test(s);
}

/** True for an IPv6 literal (without brackets or zone). */
export function isIPv6(s: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || !s.includes(":")) return false;
  try {
    new URL(`http://[${s}]/`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses `host:port`, `[v6]:port`, or a bare host when a default port is given.
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
  const s = text.trim();
  let host: string;
  let portText: string | undefined;
  if (s.startsWith("[")) {
    const end = s.indexOf("]");
    if (end < 0) throw new Error(`${JSON.stringify(text)} has an unclosed '['`);
    host = s.slice(1, end);
    const rest = s.slice(end + 1);
    if (rest !== "" && !rest.startsWith(":")) {
      throw new Error(`${JSON.stringify(text)} is not host:port`);
    }
    portText = rest === "" ? undefined : rest.slice(1);
    if (!isIPv6(host)) throw new Error(`${JSON.stringify(host)} is not an IPv6 address`);
  } else if (s.split(":").length > 2) {
    if (!isIPv6(s)) throw new Error(`${JSON.stringify(text)} is not host:port`);
    host = s; // a bare IPv6 literal
  } else {
    const i = s.lastIndexOf(":");
    host = i < 0 ? s : s.slice(0, i);
    portText = i < 0 ? undefined : s.slice(i + 1);
    if (host === "" && i === 0 && options.anyHost) host = "0.0.0.0";
    if (host === "" || !(isIPv4(host) || HOSTNAME.test(host))) {
      throw new Error(`${JSON.stringify(text)} does not start with a valid host`);
    }
  }
  return { host, port: parsePort(portText, text, options) };
}

function parsePort(portText: string | undefined, text: string, options: HostPortOptions): number {
  if (portText === undefined) {
    if (options.defaultPort === undefined) throw new Error(`${JSON.stringify(text)} needs a :port`);
    return options.defaultPort;
  }
  if (!/^\d{1,5}$/.test(portText)) throw new Error(`${JSON.stringify(text)} has an invalid port`);
  const port = Number(portText);
  const min = options.allowZeroPort ? 0 : 1;
  if (port < min || port > 65535) {
    throw new Error(`port ${port} in ${JSON.stringify(text)} is outside ${min}-65535`);
  }
  return port;
}

/** Formats a host and port, bracketing IPv6. */
export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(":") ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
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
  if (i <= 0) throw new Error(`${JSON.stringify(text)} is not key=value`);
  const key = text.slice(0, i);
  if (!TAG_KEY.test(key)) {
    throw new Error(`tag key ${JSON.stringify(key)} must be 1-64 of A-Z a-z 0-9 _ . -`);
  }
  return [key, text.slice(i + 1)];
}
