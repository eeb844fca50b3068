/**
 * Telling real drift from ordinary work. Every change the reconciler makes is a plan step, but most
 * steps are routine: a task announced (add, enable health, ready), departed (drain, maint, delete)
 * or failed (maint, delete). Drift is HAProxy changing behind shoal's back: a server the reconciler
 * had already settled (a pass found nothing to do for it, and its desired entry has not changed
 * since) needs a step again, or a managed server nobody ever asked for has to be removed.
 *
 * @module
 */

import type { DesiredServer, ObservedServer, PlanStep } from "../../haproxy/plan.ts";
import { serverKey, serverOptionsKey } from "../../haproxy/plan.ts";
import type { StepOutcome } from "../../haproxy/executor.ts";
import { isManagedName } from "../../haproxy/names.ts";

/** One pass, as the tracker sees it. */
export interface PassView {
  /** Backend → the desired servers the pass worked towards. */
  readonly desired: ReadonlyMap<string, readonly DesiredServer[]>;
  /** Backend → what HAProxy reported in the pass. */
  readonly observed: ReadonlyMap<string, readonly ObservedServer[]>;
  /** The steps sent and how each went. */
  readonly outcomes: readonly StepOutcome[];
}

/** What a pass did, classified. */
export interface PassClassification {
  /** Successful steps that repaired drift. */
  readonly drift: readonly PlanStep[];
  /** Drains that ended with a delete, by how they ended. */
  readonly drains: { readonly drained: number; readonly deadline: number };
}

function stepName(step: PlanStep): string {
  return "server" in step ? step.server.name : step.name;
}

function fingerprint(s: DesiredServer): string {
  return `${s.addr}|${s.port}|${s.weight}|${serverOptionsKey(s)}`;
}

/**
 * Classifies each reconcile pass's steps; see the module documentation.
 *
 * @example
 * ```ts
 * import { DriftTracker } from "./drift.ts";
 * const s = { name: "shoal-a", addr: "10.0.0.1", port: 80, weight: 1, state: "ready" as const };
 * const t = new DriftTracker("shoal-");
 * const desired = new Map([["web", [s]]]);
 * const seen = { name: "shoal-a", addr: "10.0.0.1", port: 80, admin: "ready" as const,
 *   uweight: 1, checkConfigured: false, checkEnabled: false };
 * const add = { step: { kind: "add" as const, backend: "web", server: s } };
 * console.assert(t.pass({ desired, observed: new Map(), outcomes: [add] }).drift.length === 0);
 * t.pass({ desired, observed: new Map([["web", [seen]]]), outcomes: [] }); // settled
 * console.assert(t.pass({ desired, observed: new Map(), outcomes: [add] }).drift.length === 1);
 * ```
 */
export class DriftTracker {
  readonly #prefix: string;
  /** Server key → fingerprint of its desired entry when a pass last found nothing to do. */
  #settled = new Map<string, string>();
  /** Keys that were desired and may still be in HAProxy: removing them is routine. */
  #known = new Set<string>();

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  /** Classifies one pass and remembers what it settled. */
  pass(view: PassView): PassClassification {
    const desired = new Map<string, DesiredServer>();
    for (const [backend, servers] of view.desired) {
      for (const s of servers) desired.set(serverKey(backend, s.name), s);
    }
    const drift: PlanStep[] = [];
    const drains = { drained: 0, deadline: 0 };
    const stepped = new Set<string>();
    for (const { step, error } of view.outcomes) {
      const key = serverKey(step.backend, stepName(step));
      stepped.add(key);
      if (error) continue;
      const want = desired.get(key);
      const isDrift = want === undefined
        ? !this.#known.has(key)
        : want.state === "ready" && this.#settled.get(key) === fingerprint(want);
      if (isDrift) drift.push(step);
      if (isDrift && want === undefined) this.#known.add(key); // its later steps finish the repair
      if (step.kind === "delete" && step.reason === "drained") drains.drained++;
      if (step.kind === "delete" && step.reason === "drain-timeout") drains.deadline++;
    }
    const present = new Set<string>();
    for (const [backend, servers] of view.observed) {
      for (const s of servers) {
        if (isManagedName(s.name, this.#prefix)) present.add(serverKey(backend, s.name));
      }
    }
    // Settled: in HAProxy, wanted ready, and the pass had nothing to do for it. (A server that
    // became desired while the pass ran is not in HAProxy yet, so it is not settled early.)
    const settled = new Map<string, string>();
    for (const [key, s] of desired) {
      if (s.state === "ready" && present.has(key) && !stepped.has(key)) {
        settled.set(key, fingerprint(s));
      }
    }
    this.#settled = settled;
    const known = new Set([...desired.keys()]);
    for (const key of this.#known) if (present.has(key)) known.add(key);
    this.#known = known;
    return { drift, drains };
  }
}
