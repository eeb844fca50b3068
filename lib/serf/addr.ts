/**
 * Wire IP bytes (4 or 16 bytes, wire spec §3.5) as serf reads them; the rules live in
 * `lib/net/` and are the same for every layer.
 *
 * @module
 */

import { formatIp } from "../net/mod.ts";
import { SerfDecodeError } from "./errors.ts";

export { joinHostPort, sameIp } from "../net/mod.ts";

/** An IP literal from wire bytes; v4-mapped IPv6 becomes dotted IPv4. Throws {@linkcode SerfDecodeError}. */
export function ipToString(ip: Uint8Array): string {
  if (ip.length !== 4 && ip.length !== 16) {
    throw new SerfDecodeError(`Cannot read IP address of ${ip.length} bytes`);
  }
  return formatIp(ip);
}
