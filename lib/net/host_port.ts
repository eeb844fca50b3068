/**
 * `host:port` text: `10.0.0.1:7946`, `[::1]:7946`, `seed.internal:7946`, and a bare host or bare
 * IPv6 literal when a default port is given. The one parser behind the CLI's address flags, the
 * gossip join targets and the supervisor's listen addresses (issue 14).
 *
 * @example
 * ```ts
 * import { joinHostPort, parseHostPort } from "./host_port.ts";
 * const hp = parseHostPort("[::ffff:10.0.0.1]:80");
 * console.assert(joinHostPort(hp.host, hp.port) === "10.0.0.1:80");
 * console.assert(joinHostPort("::1", 7946) === "[::1]:7946");
 * ```
 *
 * @module
 */

import { AddressParseError, canonicalIp, isIp, isIpv6 } from "./ip.ts";

/** A parsed `host:port`: `host` is canonical IP text ({@linkcode canonicalIp}) or a DNS name. */
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
  /** Read `:port` (no host) as every IPv4 interface, `0.0.0.0`, as serf and HAProxy do. @default false */
  anyHost?: boolean;
  /** Refuse DNS names: the host must be an IP literal. @default false */
  ipOnly?: boolean;
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$/;

/**
 * True for a DNS host name (RFC 1123 labels, `_` allowed). Digits and dots alone are never a name
 * (the last label of a name is not numeric): `010.0.0.1` or `1.2.3` is a malformed IPv4 address,
 * not a name to resolve.
 */
export function isHostName(text: string): boolean {
  return HOSTNAME.test(text) && !/^[0-9.]+$/.test(text);
}

/** `host:port`, brackets around an IPv6 host. */
export function joinHostPort(host: string, port: number): string {
  return `${bracketHost(host)}:${port}`;
}

/** `[host]` for an IPv6 host (as URLs and `host:port` want it), the host unchanged otherwise. */
export function bracketHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

function fail(message: string): never {
  throw new AddressParseError(message);
}

/** Splits off the port text; `undefined` when there is none. Checks the host's syntax. */
function split(s: string, text: string, options: HostPortOptions): [string, string | undefined] {
  const quoted = JSON.stringify(text);
  if (s.startsWith("[")) {
    const end = s.indexOf("]");
    if (end < 0) fail(`${quoted} has an unclosed '['`);
    const host = s.slice(1, end);
    const rest = s.slice(end + 1);
    if (rest !== "" && !rest.startsWith(":")) fail(`${quoted} is not host:port`);
    if (!isIpv6(host)) fail(`${JSON.stringify(host)} is not an IPv6 address`);
    return [host, rest === "" ? undefined : rest.slice(1)];
  }
  if (s.split(":").length > 2) {
    if (!isIpv6(s)) fail(`${quoted} is not host:port`);
    return [s, undefined]; // a bare IPv6 literal
  }
  const i = s.lastIndexOf(":");
  let host = i < 0 ? s : s.slice(0, i);
  if (host === "" && i === 0 && options.anyHost) host = "0.0.0.0";
  if (/^[0-9.]+$/.test(host) && !isIp(host)) {
    fail(`${JSON.stringify(host)} in ${quoted} is not a valid IPv4 address`);
  }
  if (!isIp(host) && (options.ipOnly || !isHostName(host))) {
    fail(`${quoted} does not start with a valid ${options.ipOnly ? "IP address" : "host"}`);
  }
  return [host, i < 0 ? undefined : s.slice(i + 1)];
}

/**
 * Parses `host:port`, `[v6]:port`, or a bare host (or bare IPv6) when a default port is given.
 * IP hosts come back canonical, so `[::ffff:10.0.0.1]:80` and `10.0.0.1:80` read the same.
 * Throws {@linkcode AddressParseError} with a message that quotes the text and says what is wrong.
 *
 * @example
 * ```ts
 * import { parseHostPort } from "./host_port.ts";
 * console.assert(parseHostPort("10.0.0.1", { defaultPort: 7946 }).port === 7946);
 * console.assert(parseHostPort("[::1]:80").host === "::1");
 * ```
 */
export function parseHostPort(text: string, options: HostPortOptions = {}): HostPort {
  const [host, portText] = split(text, text, options);
  return { host: isIp(host) ? canonicalIp(host) : host, port: parsePort(portText, text, options) };
}

function parsePort(portText: string | undefined, text: string, options: HostPortOptions): number {
  const quoted = JSON.stringify(text);
  if (portText === undefined) {
    if (options.defaultPort === undefined) fail(`${quoted} needs a :port`);
    return options.defaultPort;
  }
  if (!/^\d{1,5}$/.test(portText)) fail(`${quoted} has an invalid port`);
  const port = Number(portText);
  const min = options.allowZeroPort ? 0 : 1;
  if (port < min || port > 65535) fail(`port ${port} in ${quoted} is outside ${min}-65535`);
  return port;
}
