/**
 * What the reconciler remembers between passes: when drains and weight ramps started, and which
 * HAProxy process it last talked to. Sans-IO: every method takes the time as an argument.
 *
 * @module
 */

import type { StepOutcome } from "./executor.ts";
import { type ObservedServer, serverKey, serverOptionsKey } from "./plan.ts";

/** Per-server start times and options, and the identity of the HAProxy process. */
export class ReconcileMemory {
  /** `backend/name` → when the server's drain started. */
  readonly drainStartedMs: Map<string, number> = new Map();
  /** `backend/name` → when the server was seen in, or put into, maintenance. */
  readonly maintStartedMs: Map<string, number> = new Map();
  /** `backend/name` → when the server became ready (for the stepped ramp). */
  readonly rampStartedMs: Map<string, number> = new Map();
  /** `backend/name` → the options it was added with by this process (see `serverOptionsKey`). */
  readonly appliedOptions: Map<string, string> = new Map();
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
      this.maintStartedMs.clear();
      this.rampStartedMs.clear();
      this.appliedOptions.clear();
    }
    return changed;
  }

  /**
   * Starts the drain (and maintenance) clock of servers found draining or in maintenance without
   * one (for example after the sidecar restarted), and forgets it for servers that left that state.
   */
  noteObserved(observed: ReadonlyMap<string, readonly ObservedServer[]>, nowMs: number): void {
    const present = new Set<string>();
    for (const [backend, servers] of observed) {
      for (const s of servers) present.add(serverKey(backend, s.name));
    }
    // Servers gone from HAProxy (deleted by someone else) are forgotten, so memory stays bounded.
    for (const map of [this.drainStartedMs, this.maintStartedMs, this.rampStartedMs]) {
      for (const key of map.keys()) if (!present.has(key)) map.delete(key);
    }
    for (const key of this.appliedOptions.keys()) {
      if (!present.has(key)) this.appliedOptions.delete(key);
    }
    for (const [backend, servers] of observed) {
      for (const s of servers) {
        const key = serverKey(backend, s.name);
        if (s.admin === "ready") this.drainStartedMs.delete(key);
        else if (!this.drainStartedMs.has(key)) this.drainStartedMs.set(key, nowMs);
        if (s.admin !== "maint") this.maintStartedMs.delete(key);
        else if (!this.maintStartedMs.has(key)) this.maintStartedMs.set(key, nowMs);
      }
    }
  }

  /** Records the effects of the steps that succeeded. */
  noteOutcomes(outcomes: readonly StepOutcome[], nowMs: number, ramping: boolean): void {
    for (const { step, error } of outcomes) {
      if (error) continue;
      const key = serverKey(step.backend, "server" in step ? step.server.name : step.name);
      if (step.kind === "drain") this.drainStartedMs.set(key, nowMs);
      if (step.kind === "maint") this.maintStartedMs.set(key, nowMs);
      if (step.kind === "delete") {
        this.drainStartedMs.delete(key);
        this.maintStartedMs.delete(key);
        this.rampStartedMs.delete(key);
        this.appliedOptions.delete(key);
      }
      if (step.kind === "add" || step.kind === "replace") {
        this.appliedOptions.set(key, serverOptionsKey(step.server));
      }
      const readied = step.kind === "add" || step.kind === "replace" ||
        (step.kind === "ready" && step.healthDown);
      if (ramping && readied) this.rampStartedMs.set(key, nowMs);
    }
  }
}
