/**
 * shoal's version and the protocol versions it speaks.
 *
 * @module
 */

import denoJson from "../deno.json" with { type: "json" };

/** shoal's release version, from deno.json. */
export const VERSION: string = denoJson.version;

/** memberlist protocol range and current version we speak (serf always runs 2). */
export const MEMBERLIST_PROTOCOL = { min: 1, max: 5, cur: 2 } as const;

/** serf (delegate) protocol range and current version, as the serf 0.9 agent. */
export const SERF_PROTOCOL = { min: 2, max: 5, cur: 5 } as const;

/** The multi-line text `shoal version` prints. */
export function versionText(runtime: { deno: string; os: string; arch: string }): string {
  return [
    `shoal ${VERSION}`,
    `runtime: deno ${runtime.deno} (${runtime.os}/${runtime.arch})`,
    `gossip: memberlist protocol ${MEMBERLIST_PROTOCOL.cur} [${MEMBERLIST_PROTOCOL.min}, ${MEMBERLIST_PROTOCOL.max}], ` +
    `serf protocol ${SERF_PROTOCOL.cur} [${SERF_PROTOCOL.min}, ${SERF_PROTOCOL.max}]`,
  ].join("\n") + "\n";
}
