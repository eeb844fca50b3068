/**
 * The reconciliation plan: desired servers against what HAProxy reports, turned into an ordered
 * list of steps. Pure: no I/O, no clock, no randomness; the executor performs the steps.
 *
 * @module
 */

import { isManagedName } from "./names.ts";
import type {
  DesiredServer,
  ObservedServer,
  Plan,
  PlanInput,
  PlanStep,
  WaitingDrain,
} from "./plan_types.ts";
import { rampTargetWeight } from "./ramp.ts";
import { sameIp } from "./validate.ts";

export type * from "./plan_types.ts";

const STEP_ORDER: Record<PlanStep["kind"], number> = {
  replace: 0,
  add: 0,
  enableHealth: 1,
  ready: 2,
  setWeight: 3,
  drain: 4,
  maint: 5,
  delete: 6,
};

/** Default of {@linkcode PlanInput.removeSettleMs}. */
export const REMOVE_SETTLE_MS = 100;

/**
 * Default of {@linkcode PlanInput.removeDelayMs}: how long a server removed at once stays in
 * maintenance before `del server`. HAProxy 2.6 lets `del server` through while streams still wait
 * to retry a connection to that server (retries are spaced by min(`timeout connect`, 1 s)), and
 * then crashes when they wake up (fixed upstream in 2.9, "don't delete a dynamic server that has
 * streams"). A dead server's streams retry up to `retries` (3) times, each after up to
 * min(`timeout connect`, 1 s); 5 s in maintenance outlasts that. The server takes no traffic
 * meanwhile, so waiting costs nothing.
 */
export const REMOVE_DELAY_MS = 5000;

/** Key of a server in the bookkeeping maps. */
export function serverKey(backend: string, name: string): string {
  return `${backend}/${name}`;
}

/**
 * The identity of a server's `add server` options that cannot be changed at runtime on 2.6
 * (check `inter`/`rise`/`fall`, `slowstart`, `backup`, extra options): equal keys mean nothing
 * needs replacing. The id is not part of it: a taken id is replaced by the next candidate.
 */
export function serverOptionsKey(server: DesiredServer): string {
  const c = server.check;
  return JSON.stringify([
    c ? [c.interMs ?? null, c.rise ?? null, c.fall ?? null, c.downinterMs ?? null] : null,
    server.slowstartMs ?? null,
    server.backup === true,
    server.options ?? [],
  ]);
}

/**
 * Computes the ordered plan. New capacity first (add, replace), then health, ready and weight
 * changes, then drains, then maintenance of drained servers, then deletes; within a kind, by
 * backend and server name.
 *
 * Only backends present in `desired` are looked at. A graceful removal takes three passes:
 * `drain`; once the server, and the backend's queue, have no sessions, `maint`; and after
 * `removeSettleMs`, if still idle, `delete`. A drain not finished by its deadline is deleted with
 * its sessions shut down. Options HAProxy 2.6 cannot change at runtime (check `inter`, `rise`,
 * `fall`, `slowstart`) are compared only through `appliedOptions`; a change replaces the server,
 * which shuts its sessions down.
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
      if (isManagedName(s.name, input.prefix)) observed.set(s.name, s);
    }
    const wantedNames = new Set<string>();
    for (const server of wanted) {
      if (!server.name.startsWith(input.prefix)) {
        throw new TypeError(`Desired server ${server.name} lacks the prefix ${input.prefix}`);
      }
      wantedNames.add(server.name);
      const actual = observed.get(server.name);
      if (server.state === "ready") {
        const key = serverKey(backend, server.name);
        const weight = rampTargetWeight(server.weight, input.ramp, {
          startedMs: input.ramp?.startedMs.get(key),
          exists: actual !== undefined,
          nowMs: input.nowMs,
        });
        if (weight < server.weight) ramping++;
        const applied = input.appliedOptions?.get(key);
        steps.push(...planReady(backend, { ...server, weight }, actual, applied));
      } else if (actual) {
        const step = planDrain(input, backend, actual);
        if ("kind" in step) steps.push(step);
        else waiting.push(step);
      }
    }
    for (const [name, actual] of observed) {
      if (wantedNames.has(name)) continue;
      const step = planRemoval(input, backend, actual);
      if ("kind" in step) steps.push(step);
      else waiting.push(step);
    }
  }
  steps.sort(compareSteps);
  return { steps, waiting, ramping };
}

function planReady(
  backend: string,
  server: DesiredServer,
  actual: ObservedServer | undefined,
  appliedOptions: string | undefined,
): PlanStep[] {
  if (!actual) return [{ kind: "add", backend, server }];
  if (server.port !== actual.port || !sameIp(server.addr, actual.addr)) {
    return [{ kind: "replace", backend, server, reason: "addr" }];
  }
  const wantsCheck = server.check !== undefined;
  if (wantsCheck !== actual.checkConfigured) {
    return [{ kind: "replace", backend, server, reason: "check" }];
  }
  if (appliedOptions !== undefined && appliedOptions !== serverOptionsKey(server)) {
    return [{ kind: "replace", backend, server, reason: "options" }];
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
  const key = serverKey(backend, name);
  const maintMs = input.maintStartedMs?.get(key) ?? input.nowMs;
  const inMaintMs = actual.admin === "maint" ? input.nowMs - maintMs : 0;
  const delayMs = input.removeDelayMs ?? REMOVE_DELAY_MS;
  const s = actual.sessions;
  if (s !== undefined && s.scur === 0 && s.qcur === 0 && (s.backendQcur ?? 0) === 0) {
    if (actual.admin === "drain") return { kind: "maint", backend, name };
    // Drained while its worker still answered: nothing waits to retry it, so the short settle
    // pause of spec §2 is enough.
    const settleMs = input.removeSettleMs ?? REMOVE_SETTLE_MS;
    if (inMaintMs >= settleMs) {
      return { kind: "delete", backend, name, shutdownSessions: false, reason: "drained" };
    }
    return { backend, name, deadlineMs: maintMs + settleMs };
  }
  if (input.nowMs >= deadlineMs) {
    // Past the deadline: sessions are shut down now, the delete follows removeDelayMs later.
    if (actual.admin !== "maint" && delayMs > 0) {
      return { kind: "maint", backend, name, shutdownSessions: true };
    }
    if (inMaintMs >= delayMs) {
      return { kind: "delete", backend, name, shutdownSessions: true, reason: "drain-timeout" };
    }
    return { backend, name, deadlineMs: maintMs + delayMs };
  }
  return { backend, name, deadlineMs };
}

/**
 * A server nobody wants any more goes at once, in two steps: maintenance with its sessions shut
 * down now, and the delete once it has been in maintenance for `removeDelayMs`.
 */
function planRemoval(
  input: PlanInput,
  backend: string,
  actual: ObservedServer,
): PlanStep | WaitingDrain {
  const name = actual.name;
  const busy = actual.sessions === undefined || actual.sessions.scur > 0 ||
    actual.sessions.qcur > 0;
  const delayMs = input.removeDelayMs ?? REMOVE_DELAY_MS;
  if (actual.admin !== "maint" && delayMs > 0) {
    return { kind: "maint", backend, name, shutdownSessions: true };
  }
  const maintMs = input.maintStartedMs?.get(serverKey(backend, name)) ?? input.nowMs;
  if (input.nowMs - maintMs >= delayMs) {
    return { kind: "delete", backend, name, shutdownSessions: busy, reason: "undesired" };
  }
  return { backend, name, deadlineMs: maintMs + delayMs };
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
