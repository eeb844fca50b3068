/**
 * Protocol version verification on push/pull (wire spec §6.10): every node, local and remote,
 * must speak a current version inside the range all alive nodes understand.
 *
 * @module
 */

import type { Member } from "./member_table.ts";
import { NodeState, type PushNodeState } from "./wire/messages.ts";

/** A push/pull was refused because some node's versions fall outside the cluster's range. */
export class ProtocolVersionError extends Error {
  override name = "ProtocolVersionError";
}

interface Ranges {
  maxPMin: number;
  minPMax: number;
  maxDMin: number;
  minDMax: number;
}

function widen(r: Ranges, vsn: Uint8Array): void {
  r.maxPMin = Math.max(r.maxPMin, vsn[0]!);
  r.minPMax = Math.min(r.minPMax, vsn[1]!);
  r.maxDMin = Math.max(r.maxDMin, vsn[3]!);
  r.minDMax = Math.min(r.minDMax, vsn[4]!);
}

function check(r: Ranges, name: string, vsn: Uint8Array): void {
  const pcur = vsn.length >= 6 ? vsn[2]! : 0;
  const dcur = vsn.length >= 6 ? vsn[5]! : 0;
  if (pcur < r.maxPMin || pcur > r.minPMax) {
    throw new ProtocolVersionError(
      `Node "${name}" protocol version (${pcur}) is incompatible: [${r.maxPMin}, ${r.minPMax}]`,
    );
  }
  if (dcur < r.maxDMin || dcur > r.minDMax) {
    throw new ProtocolVersionError(
      `Node "${name}" delegate protocol version (${dcur}) is incompatible: [${r.maxDMin}, ${r.minDMax}]`,
    );
  }
}

/**
 * Throws {@linkcode ProtocolVersionError} unless every remote and local entry's pcur/dcur lies in
 * [max pmin, min pmax] / [max dmin, min dmax] over all alive entries with a version vector.
 */
export function verifyProtocol(local: readonly Member[], remote: readonly PushNodeState[]): void {
  const r: Ranges = { maxPMin: 0, minPMax: 255, maxDMin: 0, minDMax: 255 };
  for (const n of remote) {
    if (n.state === NodeState.Alive && n.vsn.length >= 5) widen(r, n.vsn);
  }
  for (const m of local) {
    if (m.state === NodeState.Alive && m.vsn.length >= 5) widen(r, m.vsn);
  }
  for (const n of remote) check(r, n.name, n.vsn);
  for (const m of local) check(r, m.name, m.vsn);
}

/**
 * True when a node with version vector `theirs` could sit in one table with us (`ours`): both
 * current versions inside the ranges the two share. An alive that fails this is refused, because
 * once in our table every later push/pull with a joiner would fail its protocol check (issue 13:
 * one forged alive blocked all joins). The same rules as {@linkcode verifyProtocol}, so a
 * vector too short to carry current versions is refused as it would be there.
 *
 * @example
 * ```ts
 * import { versionsCompatible } from "./version_check.ts";
 * const ours = new Uint8Array([1, 5, 2, 2, 5, 5]);
 * console.assert(versionsCompatible(ours, new Uint8Array([1, 5, 5, 2, 5, 4])));
 * console.assert(!versionsCompatible(ours, new Uint8Array([1, 5, 2, 6, 7, 6])));
 * console.assert(!versionsCompatible(ours, new Uint8Array([1, 5])));
 * ```
 */
export function versionsCompatible(ours: Uint8Array, theirs: Uint8Array): boolean {
  const r: Ranges = { maxPMin: 0, minPMax: 255, maxDMin: 0, minDMax: 255 };
  for (const v of [ours, theirs]) if (v.length >= 5) widen(r, v);
  try {
    check(r, "", ours);
    check(r, "", theirs);
    return true;
  } catch (e) {
    if (e instanceof ProtocolVersionError) return false;
    throw e;
  }
}
