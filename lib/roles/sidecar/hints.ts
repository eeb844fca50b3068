/**
 * The hint that fixes a startup mistake, logged next to the error as `hint` (and quoted by the
 * README's troubleshooting section).
 *
 * @module
 */

import {
  BackendCheckError,
  HaproxyConnectionError,
  PermissionDeniedError,
} from "../../haproxy/errors.ts";

/** The hint for a stats socket below `level admin`. */
export const LEVEL_ADMIN_HINT = "add 'level admin' to the 'stats socket' line of haproxy.cfg";

/** `{ hint }` for a log line about `err`, or nothing when no hint applies. */
export function hintField(err: unknown): { hint?: string } {
  const hint = startupHint(err);
  return hint === null ? {} : { hint };
}

/** What to do about `err` when the sidecar cannot manage HAProxy, or null when nothing helps. */
export function startupHint(err: unknown): string | null {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof PermissionDeniedError) return LEVEL_ADMIN_HINT;
    if (e instanceof BackendCheckError) {
      return e.reason === "missing"
        ? "declare the backend in haproxy.cfg, or fix --haproxy-backend/--backends"
        : "use balance roundrobin, leastconn, first, random, or a hash with 'hash-type consistent'";
    }
    if (e instanceof HaproxyConnectionError) {
      return "is HAProxy running, with --haproxy-socket set to its 'stats socket' path?";
    }
  }
  return null;
}
