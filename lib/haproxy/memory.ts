/**
 * What the reconciler remembers between passes: when drains and weight ramps started, and which
 * HAProxy process it last talked to. Sans-IO: every method takes the time as an argument.
 *
 * @module
 */

import type { StepOutcome } from "./executor.ts";
import { type ObservedServer, serverKey } from "./plan.ts";

/** Per-server start times and the identity of the HAProxy process. */
export class ReconcileMemory {
  /** `backend/name` → when the server's drain started. */
  readonly drainStartedMs: Map<string, number> = new Map();
  /** `backend/name` → when the server became ready (for the stepped ramp). */
  readonly rampStartedMs: Map<string, number> = new Map();
  #identity: string | undefined;

  /**
   * Notes the process seen by `show info`. Returns true when it differs from the last one (a
   * restart or reload): the new process has none of our servers, so per-server memory is reset.
   */
  noteProcess(pid: number, startTimeSec: number): boolean {
    const identity = `${pid}@${startTimeSec}`;
    const changed = this.#identity !== undefined && this.#identity !== identity;
    this.#identity = identity;
    if (changed) {
      this.drainStartedMs.clear();
      this.rampStartedMs.clear();
    }
    return changed;
  }

  /**
   * Starts the drain clock of servers found draining or in maintenance without one (for example
   * after the sidecar restarted), and forgets it for servers that are ready again.
   */
  noteObserved(observed: ReadonlyMap<string, readonly ObservedServer[]>, nowMs: number): void {
    for (const [backend, servers] of observed) {
      for (const s of servers) {
        const key = serverKey(backend, s.name);
        if (s.admin === "ready") this.drainStartedMs.delete(key);
        else if (!this.drainStartedMs.has(key)) this.drainStartedMs.set(key, nowMs);
      }
    }
  }

  /** Records the effects of the steps that succeeded. */
  noteOutcomes(outcomes: readonly StepOutcome[], nowMs: number, ramping: boolean): void {
    for (const { step, error } of outcomes) {
      if (error) continue;
      const key = serverKey(step.backend, "server" in step ? step.server.name : step.name);
      if (step.kind === "drain") this.drainStartedMs.set(key, nowMs);
      if (step.kind === "delete") {
        this.drainStartedMs.delete(key);
        this.rampStartedMs.delete(key);
      }
      const readied = step.kind === "add" || step.kind === "replace" ||
        (step.kind === "ready" && step.healthDown);
      if (ramping && readied) this.rampStartedMs.set(key, nowMs);
    }
  }
}
