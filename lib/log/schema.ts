/**
 * The one log schema, enforced where lines are written so every module follows it:
 *
 * - keys are snake_case (`drainMs` is written `drain_ms`);
 * - durations are integers with their unit in the key (`*_ms` values are rounded; a bare `ms` is
 *   written `duration_ms`), and other fractions keep at most three decimals;
 * - `node` is always this process's node name. A field `node` naming another member (a member
 *   that failed, the sender of a query) is written as `member`.
 *
 * @module
 */

import type { LogFields } from "./logger.ts";

/** `drainMs` → `drain_ms`, `startTimeSec` → `start_time_sec`; snake_case stays as it is. */
export function snakeKey(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/([A-Z])([A-Z][a-z])/g, "$1_$2")
    .toLowerCase();
}

function normalizeValue(key: string, value: unknown): unknown {
  if (typeof value !== "number" || !Number.isFinite(value) || Number.isInteger(value)) return value;
  if (key.endsWith("_ms")) return Math.round(value);
  return Math.round(value * 1000) / 1000;
}

/**
 * Merges an event's fields onto the logger's own (`base`) under the schema; see the module
 * documentation.
 *
 * @example
 * ```ts
 * import { normalizeFields } from "./schema.ts";
 * const f = normalizeFields({ node: "sidecar-1" }, { node: "task-7", drainMs: 12.4 });
 * console.assert(f.node === "sidecar-1" && f.member === "task-7" && f.drain_ms === 12);
 * ```
 */
export function normalizeFields(base: LogFields, fields: LogFields | undefined): LogFields {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(base)) out[snakeKey(k)] = v;
  for (const [rawKey, v] of Object.entries(fields ?? {})) {
    let key = rawKey === "ms" ? "duration_ms" : snakeKey(rawKey);
    if (key === "node" && out.node !== undefined && v !== out.node) {
      key = fields?.member === undefined ? "member" : "member_node";
    } else if (key === "node" && v === out.node) {
      continue;
    }
    out[key] = normalizeValue(key, v);
  }
  return out;
}
