/**
 * The reconciliation plan: desired servers against what HAProxy reports, turned into an ordered
 * list of steps. Pure: no I/O, no clock, no randomness; the executor performs the steps.
 *
 * @module
 */

import type { CheckOptions } from "./commands.ts";
import type { AdminView } from "./servers_state.ts";
import { parseIp } from "./validate.ts";

/** A server shoal wants in a backend. */
export interface DesiredServer {
  /** Server name; must start with the managed prefix. */
  readonly name: string;
  /** IPv4 or IPv6 literal. */
  readonly addr: string;
  /** Port, 1 to 65535. */
  readonly port: number;
  /** 0 to 256. */
  readonly weight: number;
  /** `ready` takes traffic; `drain` finishes current sessions, then the server is deleted. */
  readonly state: "ready" | "drain";
  /** Health checks; a checked server takes traffic only after passing them. */
  readonly check?: CheckOptions;
  /** HAProxy `slowstart` ramp after the server becomes ready. */
  readonly slowstartMs?: number;
}

/** A server as HAProxy reports it. */
export interface ObservedServer {
  /** Server name. */
  readonly name: string;
  /** Address as HAProxy prints it. */
  readonly addr: string;
  /** Port. */
  readonly port: number;
  /** Maintenance, drain or ready. */
  readonly admin: AdminView;
  /** User-set weight. */
  readonly uweight: number;
  /** `check` was given on `add server`. */
  readonly checkConfigured: boolean;
  /** `enable health` was run (or the check comes from the configuration). */
  readonly checkEnabled: boolean;
  /** Current and queued sessions; known when `show stat` was read for this backend. */
  readonly sessions?: { readonly scur: number; readonly qcur: number };
}

/** Stepped weight ramp for new servers (HSDO style), as an alternative to `slowstart`. */
export interface RampOptions {
  /** Time from the first to the full weight. */
  readonly durationMs: number;
  /** Time between weight steps. */
  readonly stepMs: number;
  /** Weight at the start of the ramp. @default 1 */
  readonly weightMin?: number;
}

/** Everything {@linkcode planReconcile} looks at. */
export interface PlanInput {
  /** Managed backend → desired servers. Backends not listed here are never touched. */
  readonly desired: ReadonlyMap<string, readonly DesiredServer[]>;
  /** Backend → every server HAProxy reports, managed or not. */
  readonly observed: ReadonlyMap<string, readonly ObservedServer[]>;
  /** Only servers whose name starts with this are managed. */
  readonly prefix: string;
  /** The current time, on the same clock as `drainStartedMs`. */
  readonly nowMs: number;
  /** How long a drain may take before sessions are shut down. */
  readonly drainTimeoutMs: number;
  /** `backend/name` → when its drain started; missing means "now". */
  readonly drainStartedMs: ReadonlyMap<string, number>;
  /** Stepped ramp, with `backend/name` → when the server became ready. */
  readonly ramp?: RampOptions & { readonly startedMs: ReadonlyMap<string, number> };
}

/** One thing to do to HAProxy. */
export type PlanStep =
  | { readonly kind: "add"; readonly backend: string; readonly server: DesiredServer }
  | {
    readonly kind: "replace";
    readonly backend: string;
    readonly server: DesiredServer;
    readonly reason: "addr" | "check";
  }
  | { readonly kind: "enableHealth"; readonly backend: string; readonly name: string }
  | {
    readonly kind: "ready";
    readonly backend: string;
    readonly name: string;
    /** Leaving maintenance with checks: start DOWN until checks pass. */
    readonly healthDown: boolean;
  }
  | {
    readonly kind: "setWeight";
    readonly backend: string;
    readonly name: string;
    readonly weight: number;
  }
  | { readonly kind: "drain"; readonly backend: string; readonly name: string }
  | {
    readonly kind: "delete";
    readonly backend: string;
    readonly name: string;
    readonly shutdownSessions: boolean;
    readonly reason: "undesired" | "drained" | "drain-timeout";
  };

/** A drain still waiting for sessions to end. */
export interface WaitingDrain {
  /** Backend of the draining server. */
  readonly backend: string;
  /** Name of the draining server. */
  readonly name: string;
  /** When its remaining sessions will be shut down. */
  readonly deadlineMs: number;
}

/** The ordered steps, plus what is still in progress. */
export interface Plan {
  /** Steps in the order they must be sent. */
  readonly steps: readonly PlanStep[];
  /** Drains still waiting for sessions to end. */
  readonly waiting: readonly WaitingDrain[];
  /** Servers whose stepped ramp has not reached the full weight. */
  readonly ramping: number;
}

const STEP_ORDER: Record<PlanStep["kind"], number> = {
  replace: 0,
  add: 0,
  enableHealth: 1,
  ready: 2,
  setWeight: 3,
  drain: 4,
  delete: 5,
};

/** Key of a server in the bookkeeping maps. */
export function serverKey(backend: string, name: string): string {
  return `${backend}/${name}`;
}

/**
 * Computes the ordered plan. New capacity first (add, replace), then health, ready and weight
 * changes, then drains, then deletes; within a kind, by backend and server name.
 *
 * @example
 * ```ts
 * import { planReconcile } from "./plan.ts";
 * const plan = planReconcile({
 *   desired: new Map([["app", [{ name: "shoal-a", addr: "10.0.0.1", port: 80, weight: 1, state: "ready" }]]]),
 *   observed: new Map([["app", []]]),
 *   prefix: "shoal-", nowMs: 0, drainTimeoutMs: 30_000, drainStartedMs: new Map(),
 * });
 * console.assert(plan.steps[0]?.kind === "add");
 * ```
 */
export function planReconcile(input: PlanInput): Plan {
  const steps: PlanStep[] = [];
  const waiting: WaitingDrain[] = [];
  let ramping = 0;
  for (const [backend, wanted] of input.desired) {
    const observed = new Map<string, ObservedServer>();
    for (const s of input.observed.get(backend) ?? []) {
      if (s.name.startsWith(input.prefix)) observed.set(s.name, s);
    }
    const wantedNames = new Set<string>();
    for (const server of wanted) {
      if (!server.name.startsWith(input.prefix)) {
        throw new TypeError(`Desired server ${server.name} lacks the prefix ${input.prefix}`);
      }
      wantedNames.add(server.name);
      const actual = observed.get(server.name);
      if (server.state === "ready") {
        const weight = targetWeight(input, backend, server, actual !== undefined);
        if (weight < server.weight) ramping++;
        steps.push(...planReady(backend, { ...server, weight }, actual));
      } else if (actual) {
        const step = planDrain(input, backend, actual);
        if ("kind" in step) steps.push(step);
        else waiting.push(step);
      }
    }
    for (const [name, actual] of observed) {
      if (wantedNames.has(name)) continue;
      const shutdownSessions = actual.sessions === undefined || actual.sessions.scur > 0 ||
        actual.sessions.qcur > 0;
      steps.push({ kind: "delete", backend, name, shutdownSessions, reason: "undesired" });
    }
  }
  steps.sort(compareSteps);
  return { steps, waiting, ramping };
}

function planReady(
  backend: string,
  server: DesiredServer,
  actual: ObservedServer | undefined,
): PlanStep[] {
  if (!actual) return [{ kind: "add", backend, server }];
  if (!sameEndpoint(server, actual)) return [{ kind: "replace", backend, server, reason: "addr" }];
  const wantsCheck = server.check !== undefined;
  if (wantsCheck !== actual.checkConfigured) {
    return [{ kind: "replace", backend, server, reason: "check" }];
  }
  const steps: PlanStep[] = [];
  const name = server.name;
  if (wantsCheck && !actual.checkEnabled) steps.push({ kind: "enableHealth", backend, name });
  if (actual.admin !== "ready") {
    steps.push({
      kind: "ready",
      backend,
      name,
      healthDown: wantsCheck && actual.admin === "maint",
    });
  }
  if (actual.uweight !== server.weight) {
    steps.push({ kind: "setWeight", backend, name, weight: server.weight });
  }
  return steps;
}

function planDrain(
  input: PlanInput,
  backend: string,
  actual: ObservedServer,
): PlanStep | WaitingDrain {
  const name = actual.name;
  const startedMs = input.drainStartedMs.get(serverKey(backend, name)) ?? input.nowMs;
  const deadlineMs = startedMs + input.drainTimeoutMs;
  if (actual.admin === "ready") return { kind: "drain", backend, name };
  const s = actual.sessions;
  if (s !== undefined && s.scur === 0 && s.qcur === 0) {
    return { kind: "delete", backend, name, shutdownSessions: false, reason: "drained" };
  }
  if (input.nowMs >= deadlineMs) {
    return { kind: "delete", backend, name, shutdownSessions: true, reason: "drain-timeout" };
  }
  return { backend, name, deadlineMs };
}

function targetWeight(
  input: PlanInput,
  backend: string,
  server: DesiredServer,
  exists: boolean,
): number {
  const ramp = input.ramp;
  if (!ramp || server.weight === 0) return server.weight;
  const started = ramp.startedMs.get(serverKey(backend, server.name)) ??
    (exists ? undefined : input.nowMs);
  if (started === undefined) return server.weight;
  return rampedWeight(server.weight, input.nowMs - started, ramp);
}

/**
 * The weight of a ramping server `elapsedMs` after it became ready: from `weightMin` up to
 * `weight` in steps of `stepMs` over `durationMs`.
 */
export function rampedWeight(weight: number, elapsedMs: number, ramp: RampOptions): number {
  const weightMin = Math.min(weight, Math.max(1, ramp.weightMin ?? 1));
  if (elapsedMs >= ramp.durationMs || ramp.durationMs <= 0) return weight;
  const stepsTotal = Math.max(1, Math.ceil(ramp.durationMs / Math.max(1, ramp.stepMs)));
  const stepsDone = Math.floor(Math.max(0, elapsedMs) / Math.max(1, ramp.stepMs));
  const ramped = weightMin + Math.floor(((weight - weightMin) * stepsDone) / stepsTotal);
  return Math.min(weight, ramped);
}

function sameEndpoint(server: DesiredServer, actual: ObservedServer): boolean {
  if (server.port !== actual.port) return false;
  try {
    return parseIp(server.addr).text === parseIp(actual.addr).text;
  } catch {
    return false;
  }
}

function compareSteps(a: PlanStep, b: PlanStep): number {
  return STEP_ORDER[a.kind] - STEP_ORDER[b.kind] || cmp(a.backend, b.backend) ||
    cmp(stepName(a), stepName(b));
}

function stepName(step: PlanStep): string {
  return "server" in step ? step.server.name : step.name;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
