/**
 * Addresses: IP literals (parse, classify, format, compare) and `host:port` text. Every layer
 * (gossip and serf wire code, CLI flags, supervisor listen addresses, HAProxy commands) uses these,
 * so an address means the same thing everywhere.
 *
 * @example
 * ```ts
 * import { joinHostPort, parseHostPort, sameIp } from "./mod.ts";
 * const hp = parseHostPort("[::1]:7946");
 * console.assert(joinHostPort(hp.host, hp.port) === "[::1]:7946");
 * console.assert(sameIp("::ffff:127.0.0.1", "127.0.0.1"));
 * ```
 *
 * @module
 */

export {
  AddressParseError,
  canonicalIp,
  formatIp,
  isIp,
  isIpv4,
  isIpv6,
  isUnspecified,
  isV4Mapped,
  parseIp,
  sameIp,
  tryParseIp,
  unmapIp,
} from "./ip.ts";
export {
  bracketHost,
  type HostPort,
  type HostPortOptions,
  isHostName,
  joinHostPort,
  parseHostPort,
} from "./host_port.ts";
