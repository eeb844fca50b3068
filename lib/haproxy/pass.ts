/**
 * One reconciliation pass, the body of the {@linkcode Reconciler}'s loop: check the process
 * identity, read what HAProxy has, plan, send the plan, remember its effects, log.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { RuntimeClient } from "./client.ts";
import { executePlan, type StepOutcome } from "./executor.ts";
import type { ReconcileMemory } from "./memory.ts";
import { observeBackends } from "./observe.ts";
import {
  type DesiredServer,
  type ObservedServer,
  type Plan,
  planReconcile,
  type PlanStep,
} from "./plan.ts";
import type { RampOptions } from "./ramp.ts";
import { hasSlots, pickFreeSlot, slotStepCommands, type SlotView, viewSlots } from "./slots.ts";
import { saveServerState } from "./state_file.ts";
import { errorText } from "../log/error_text.ts";

/** What one pass did. */
export interface PassReport {
  /** The plan computed by the pass. */
  readonly plan: Plan;
  /** What happened to each step. */
  readonly outcomes: readonly StepOutcome[];
  /** True when HAProxy's process identity changed since the previous pass. */
  readonly restartDetected: boolean;
}

/** Everything a pass reads and writes; the reconciler owns it. */
export interface PassContext {
  /** The admin connection. */
  readonly client: RuntimeClient;
  /** Every managed backend (all are observed). */
  readonly backends: readonly string[];
  /** Only servers with this name prefix are touched. */
  readonly prefix: string;
  /** Backends whose desired set was given; the others are observed but never changed. */
  readonly desired: ReadonlyMap<string, readonly DesiredServer[]>;
  /** Start times and options remembered between passes. */
  readonly memory: ReconcileMemory;
  /** Time source. */
  readonly clock: Clock;
  /** Aborted when the reconciler stops: the pass skips its remaining pauses. */
  readonly signal?: AbortSignal | undefined;
  /** Where `haproxy.*` events go. */
  readonly log: Logger;
  /** Read every backend's sessions, not only where a drain needs them. */
  readonly observeSessions: boolean;
  /** Longest graceful drain. */
  readonly drainTimeoutMs: number;
  /** Pause between a drained server's maintenance and its delete. */
  readonly removeSettleMs: number;
  readonly removeDelayMs: number;
  /** Stepped weight ramp, if any. */
  readonly ramp: RampOptions | undefined;
  /** Where `show servers state` is saved after every pass (HAProxy's `server-state-file`). */
  readonly stateFile?: string | undefined;
}

/** Runs one pass; returns its report and what HAProxy reported. Errors propagate. */
export async function runPass(
  ctx: PassContext,
): Promise<{ report: PassReport; observed: Map<string, ObservedServer[]> }> {
  const restartDetected = await checkIdentity(ctx);
  const found = await observeBackends(ctx.client, ctx.backends, {
    prefix: ctx.prefix,
    allSessions: ctx.observeSessions,
  });
  const { observed, desired, views } = slotViews(ctx, found);
  const nowMs = ctx.clock.nowMs();
  const memory = ctx.memory;
  memory.noteObserved(observed, nowMs);
  const plan = planReconcile({
    desired,
    observed,
    prefix: ctx.prefix,
    nowMs,
    drainTimeoutMs: ctx.drainTimeoutMs,
    drainStartedMs: memory.drainStartedMs,
    maintStartedMs: memory.maintStartedMs,
    removeSettleMs: ctx.removeSettleMs,
    removeDelayMs: ctx.removeDelayMs,
    appliedOptions: memory.appliedOptions,
    ...(ctx.ramp ? { ramp: { ...ctx.ramp, startedMs: memory.rampStartedMs } } : {}),
  });
  const free = new Map([...views].map(([b, v]) => [b, [...v.free]]));
  /** `backend/server` → the slot its step used, for the logs. */
  const slots = new Map<string, string>();
  const commandsFor = (step: PlanStep) => {
    const view = views.get(step.backend);
    if (view === undefined) return undefined;
    const name = "server" in step ? step.server.name : step.name;
    const spare = free.get(step.backend)!;
    const slot = step.kind === "add"
      ? pickFreeSlot(spare, step.server, ctx.prefix, view.counts)
      : view.slotOf.get(name);
    const commands = slotStepCommands(step, view, spare, ctx.prefix);
    if (slot !== undefined) slots.set(`${step.backend}/${name}`, slot);
    return commands;
  };
  const outcomes = plan.steps.length === 0 ? [] : await executePlan(ctx.client, plan.steps, {
    clock: ctx.clock,
    commandsFor,
    signal: ctx.signal,
  });
  memory.noteOutcomes(outcomes, ctx.clock.nowMs(), ctx.ramp !== undefined);
  logOutcomes(ctx.log, outcomes, slots);
  ctx.log.debug("haproxy.reconcile.pass", {
    steps: plan.steps.length,
    waiting: plan.waiting.length,
    failed: outcomes.filter((o) => o.error).length,
  });
  if (ctx.stateFile !== undefined) await saveState(ctx, ctx.stateFile);
  return { report: { plan, outcomes, restartDetected }, observed };
}

/**
 * Backends with `server-template` slots are planned on their slot view (occupied slots under
 * their desired servers' names); the others as HAProxy reports them.
 */
function slotViews(ctx: PassContext, found: Map<string, ObservedServer[]>): {
  observed: Map<string, ObservedServer[]>;
  desired: Map<string, readonly DesiredServer[]>;
  views: Map<string, SlotView>;
} {
  const observed = new Map(found);
  const desired = new Map(ctx.desired);
  const views = new Map<string, SlotView>();
  for (const [backend, rows] of found) {
    if (!hasSlots(rows, ctx.prefix)) continue;
    const view = viewSlots(ctx.desired.get(backend) ?? [], rows, ctx.prefix);
    views.set(backend, view);
    observed.set(backend, [...view.observed]);
    if (desired.has(backend)) desired.set(backend, view.desired);
  }
  return { observed, desired, views };
}

async function saveState(ctx: PassContext, path: string): Promise<void> {
  try {
    await saveServerState(ctx.client, path);
  } catch (err) {
    ctx.log.warn("haproxy.state_file.failed", {
      path,
      error: errorText(err),
    });
  }
}

async function checkIdentity(ctx: PassContext): Promise<boolean> {
  let info = await ctx.client.info();
  if (info.stopping) {
    ctx.log.info("haproxy.connection.stale", { pid: info.pid });
    await ctx.client.reset();
    info = await ctx.client.info();
  }
  const changed = ctx.memory.noteProcess(info.pid, info.startTimeSec);
  if (changed) {
    ctx.log.warn("haproxy.restart.detected", { pid: info.pid, startTimeSec: info.startTimeSec });
  }
  return changed;
}

function logOutcomes(
  log: Logger,
  outcomes: readonly StepOutcome[],
  slots: ReadonlyMap<string, string>,
): void {
  for (const { step, error } of outcomes) {
    const server = "server" in step ? step.server.name : step.name;
    const slot = slots.get(`${step.backend}/${server}`);
    const fields = { backend: step.backend, server, step: step.kind, ...(slot ? { slot } : {}) };
    if (error) log.warn("haproxy.step.failed", { ...fields, error: error.message });
    else log.info(`haproxy.server.${step.kind}`, fields);
  }
}
