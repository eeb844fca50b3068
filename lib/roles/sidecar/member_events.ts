/**
 * What a gossip member event does to the registry: a graceful leave drains the member's servers,
 * a failure removes them at once, a reap forgets whatever is left. Pure.
 *
 * @module
 */

import type { MemberEvent } from "../../serf/members.ts";
import type { Registry } from "./registry.ts";

/** One member's servers changed because of a member event. */
export interface MemberChange {
  readonly node: string;
  /** `drain`: graceful; `remove`: at once (failed); `forget`: reaped. */
  readonly action: "drain" | "remove" | "forget";
  /** The `backend/server` keys affected. */
  readonly keys: readonly string[];
}

/**
 * Applies `event` to `registry`; returns the members whose servers changed (none for joins and
 * tag updates: a task's state reaches the sidecar through its announces).
 *
 * @example
 * ```ts
 * import { applyMemberEvent } from "./member_events.ts";
 * import { Registry } from "./registry.ts";
 * const r = new Registry({
 *   prefix: "shoal-", defaultBackend: "web", backends: ["web"], defaultWeight: 100,
 *   slowstartMs: 0, check: {}, orphanGraceMs: 0,
 * });
 * console.assert(applyMemberEvent(r, { type: "member-join", members: [] }, 0).length === 0);
 * ```
 */
export function applyMemberEvent(
  registry: Registry,
  event: MemberEvent,
  nowMs: number,
): MemberChange[] {
  const changes: MemberChange[] = [];
  for (const member of event.members) {
    const node = member.name;
    let change: MemberChange | undefined;
    switch (event.type) {
      case "member-leave":
        change = { node, action: "drain", keys: registry.memberLeft(node, nowMs) };
        break;
      case "member-failed":
        change = { node, action: "remove", keys: registry.memberFailed(node) };
        break;
      case "member-reap":
        change = { node, action: "forget", keys: registry.remove(node) };
        break;
      default:
        break;
    }
    if (change && change.keys.length > 0) changes.push(change);
  }
  return changes;
}
