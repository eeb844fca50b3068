/**
 * Server names for gossip nodes: `shoal-<node-name-sanitised>`, valid for HAProxy, bounded in
 * length, and unique per node name.
 *
 * @module
 */

import { ValidationError } from "./errors.ts";
import { NAME_LENGTH_MAX, NAME_PATTERN, validateName } from "./validate.ts";

/** Prefix of the servers shoal manages; servers without it are never touched. */
export const DEFAULT_PREFIX = "shoal-";

/** Options of {@linkcode serverNameFor}. */
export interface ServerNameOptions {
  /** Prefix of every generated name. @default "shoal-" */
  prefix?: string;
  /** Longest name produced. @default 64 */
  lengthMax?: number;
}

const HASH_HEX_DIGITS = 12;
const UNSAFE = /[^A-Za-z0-9._-]/g;

/**
 * Turns an arbitrary node name into a valid HAProxy server name. Names that are already safe and
 * short are kept (`web-1` → `shoal-web-1`); others are sanitised, cut, and given a hash suffix of
 * the original name so two different node names never map to the same server name by accident.
 *
 * @example
 * ```ts
 * import { serverNameFor } from "./names.ts";
 * console.assert(serverNameFor("web-1") === "shoal-web-1");
 * console.assert(serverNameFor("web 1;x") !== serverNameFor("web 1:x"));
 * ```
 */
export function serverNameFor(nodeName: string, options: ServerNameOptions = {}): string {
  const prefix = validateName("prefix", options.prefix ?? DEFAULT_PREFIX);
  const lengthMax = options.lengthMax ?? NAME_LENGTH_MAX;
  const room = lengthMax - prefix.length;
  if (room < HASH_HEX_DIGITS + 2 || lengthMax > NAME_LENGTH_MAX) {
    throw new ValidationError("lengthMax", lengthMax, "leaves no room for a hashed name");
  }
  if (nodeName.length === 0) throw new ValidationError("node name", nodeName, "empty");
  const sanitised = nodeName.replace(UNSAFE, "-");
  if (
    sanitised === nodeName && nodeName.length <= room && !looksHashed(nodeName) &&
    !/^b?slot[0-9]{1,6}$/.test(nodeName)
  ) {
    return prefix + nodeName;
  }
  const suffix = fnv1a64Hex(nodeName).slice(0, HASH_HEX_DIGITS);
  const head = sanitised.slice(0, room - HASH_HEX_DIGITS - 1);
  return `${prefix}${head}-${suffix}`;
}

/**
 * (Above, a node named like a `server-template` slot, `slot<digits>` or `bslot<digits>`, is
 * hashed too: the slot named `<prefix>slot<N>` stays the slot's.)
 *
 * A name that ends like a hashed one (`-` and 12 hex digits) is hashed too, so a node literally
 * named like another node's hashed form cannot take its server name.
 */
function looksHashed(name: string): boolean {
  return new RegExp(`-[0-9a-f]{${HASH_HEX_DIGITS}}$`).test(name);
}

/**
 * Lowest server id shoal gives a dynamic server: configuration servers are numbered from 1, so
 * a backend needs more than 4095 of them before an id can collide with one.
 */
export const SERVER_ID_MIN = 4096;
/**
 * Highest server id shoal gives. With `hash-type consistent`, HAProxy 2.6 (and 3.x with the
 * default `hash-key id`) places a server on the ring by `hash(id * 4096 + n)` in 32-bit
 * arithmetic, so ids that differ by a multiple of 2^20 would share their ring points: ids stay
 * below 2^20.
 */
export const SERVER_ID_MAX = 2 ** 20 - 1;

/**
 * The `add server ... id` of a server: derived from its name alone, so every sidecar's HAProxy
 * gives a task the same id and places it at the same points of a consistent-hash ring (HAProxy
 * otherwise numbers dynamic servers in the order they were added). `attempt` > 0 is the next
 * candidate when the id is taken: linear probing, the same sequence on every sidecar.
 *
 * @example
 * ```ts
 * import { serverIdFor, SERVER_ID_MIN } from "./names.ts";
 * console.assert(serverIdFor("shoal-web-1") === serverIdFor("shoal-web-1"));
 * console.assert(serverIdFor("shoal-web-1") >= SERVER_ID_MIN);
 * ```
 */
export function serverIdFor(serverName: string, attempt = 0): number {
  const span = SERVER_ID_MAX - SERVER_ID_MIN + 1;
  const h = Number(BigInt.asUintN(32, BigInt("0x" + fnv1a64Hex(serverName))));
  return SERVER_ID_MIN + (h + attempt) % span;
}

/** 64-bit FNV-1a of the UTF-8 bytes, as 16 hex digits. */
function fnv1a64Hex(text: string): string {
  let hash = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * prime) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, "0");
}

/**
 * True when `name` is a server shoal manages: it starts with `prefix` and is a name a desired
 * server can have (so not the capability probe, whose name contains `:`).
 */
export function isManagedName(name: string, prefix: string): boolean {
  return name.startsWith(prefix) && name.length <= NAME_LENGTH_MAX && NAME_PATTERN.test(name);
}
