/**
 * Connection lifecycle limits of the agent RPC (issue 13): how long a client may take to
 * handshake, how long it may sit idle, and how long a host waits after a wrong auth key. Each
 * bound sits next to its constant with the reason.
 *
 * @example
 * ```ts
 * import { AuthBackoff } from "./limits.ts";
 * const b = new AuthBackoff();
 * b.failed("127.0.0.1", 0);
 * console.assert(b.blocked("127.0.0.1", 50));
 * console.assert(!b.blocked("127.0.0.1", 100));
 * ```
 *
 * @module
 */

/**
 * A new connection must finish its handshake (and `auth`, when a key is set) within this. The
 * `serf` CLI sends both in its first write; 5 s covers a loaded host, and idle sockets can no
 * longer hold the `clientsMax` slots for as long as they stay open.
 */
export const RPC_HANDSHAKE_TIMEOUT_MS = 5000;
/**
 * A ready client with no event stream that sends nothing for this long is closed. CLI commands
 * finish in well under a second and long-lived clients poll or hold a stream; 10 minutes only
 * reclaims forgotten connections.
 */
export const RPC_IDLE_TIMEOUT_MS = 10 * 60 * 1000;
/** The first wait after a wrong auth key; each further failure from the host doubles it. */
export const RPC_AUTH_BACKOFF_MIN_MS = 100;
/**
 * The longest wait after wrong auth keys: 10 s makes guessing a key hopeless (6 tries a
 * minute) while an operator who mistyped is back quickly.
 */
export const RPC_AUTH_BACKOFF_MAX_MS = 10_000;
/** Hosts remembered by {@linkcode AuthBackoff}; the oldest is forgotten beyond this. */
const HOSTS_MAX = 1024;

/** Per-host exponential backoff after failed `auth` requests. Pure: pass the time. */
export class AuthBackoff {
  readonly #hosts = new Map<string, { failures: number; untilMs: number }>();

  /** True while `host` must wait before its next connection is served. */
  blocked(host: string, nowMs: number): boolean {
    const h = this.#hosts.get(host);
    return h !== undefined && nowMs < h.untilMs;
  }

  /** Records a wrong key from `host`; returns how long it now waits. */
  failed(host: string, nowMs: number): number {
    const h = this.#hosts.get(host) ?? { failures: 0, untilMs: 0 };
    h.failures++;
    const waitMs = Math.min(
      RPC_AUTH_BACKOFF_MIN_MS * 2 ** Math.min(h.failures - 1, 30),
      RPC_AUTH_BACKOFF_MAX_MS,
    );
    h.untilMs = nowMs + waitMs;
    this.#hosts.delete(host);
    this.#hosts.set(host, h);
    if (this.#hosts.size > HOSTS_MAX) this.#hosts.delete(this.#hosts.keys().next().value!);
    return waitMs;
  }

  /** A correct key from `host` clears its record. */
  succeeded(host: string): void {
    this.#hosts.delete(host);
  }
}
