/**
 * Whether the task is really registered, for `/healthz` and `shoal_task_registered` (issue 12):
 * the sidecars that accepted the current announce, and how long the task has been without any
 * alive sidecar. Pure: the runner feeds in answers, member views and the time.
 *
 * `/healthz` is 503 until a sidecar has accepted an announce of this task, and again once no
 * sidecar has been alive for {@linkcode NO_SIDECAR_UNHEALTHY_MS}: long enough to ride out a
 * sidecar's replacement (the rejoin loop finds the new one within seconds), short enough that an
 * orchestrator's health check (ECS: 3 retries × 30 s) replaces a task nobody can route to.
 *
 * @example
 * ```ts
 * import { Registration } from "./registration.ts";
 * const r = new Registration();
 * console.assert(!r.health(0).ok);
 * r.accepted("sc-1");
 * r.sidecarsAlive(["sc-1"], 0);
 * console.assert(r.health(0).ok && r.count === 1);
 * r.sidecarsAlive([], 1_000);
 * console.assert(r.health(1_000).ok && !r.health(62_000).ok);
 * ```
 *
 * @module
 */

import type { HealthStatus } from "../../metrics/mod.ts";

/** How long a registered task may be without any alive sidecar before it reports unhealthy. */
export const NO_SIDECAR_UNHEALTHY_MS = 60_000;

/** See the module documentation. */
export class Registration {
  readonly #accepted = new Set<string>();
  #ever = false;
  /** Since when no sidecar has been alive (undefined while one is). */
  #aloneSinceMs: number | undefined;

  /** Sidecars that accepted the current announce. */
  get count(): number {
    return this.#accepted.size;
  }

  /** `sidecar` accepted the current announce. */
  accepted(sidecar: string): void {
    this.#accepted.add(sidecar);
    this.#ever = true;
  }

  /** `sidecar` refused it. */
  refused(sidecar: string): void {
    this.#accepted.delete(sidecar);
  }

  /** A new state is announced: the earlier acceptances were of another announce. */
  reset(): void {
    this.#accepted.clear();
  }

  /** The alive sidecars now; the others no longer hold our registration. */
  sidecarsAlive(names: readonly string[], nowMs: number): void {
    const alive = new Set(names);
    for (const s of this.#accepted) if (!alive.has(s)) this.#accepted.delete(s);
    if (alive.size > 0) this.#aloneSinceMs = undefined;
    else this.#aloneSinceMs ??= nowMs;
  }

  /** Healthy, or why not. */
  health(nowMs: number): HealthStatus {
    if (!this.#ever) {
      return { ok: false, reason: "not registered: no sidecar has accepted this task's announce" };
    }
    if (this.#aloneSinceMs !== undefined && nowMs - this.#aloneSinceMs > NO_SIDECAR_UNHEALTHY_MS) {
      const s = Math.round((nowMs - this.#aloneSinceMs) / 1000);
      return { ok: false, reason: `not registered: no sidecar alive for ${s} s` };
    }
    return { ok: true, reason: "" };
  }
}
