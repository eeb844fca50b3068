/**
 * The reconciler shell: keeps the desired servers per managed backend, reads what HAProxy has,
 * asks {@linkcode planReconcile} for the steps and sends them. It runs on start, on every change
 * (coalesced), periodically, and as soon as the admin connection drops (restart or reload).
 *
 * @module
 */

import { type Clock, systemClock, type TimerId } from "../clock.ts";
import { type Logger, nullLogger } from "../log/logger.ts";
import { checkBackend, checkVersion } from "./backend_check.ts";
import type { RuntimeClient } from "./client.ts";
import { ValidationError } from "./errors.ts";
import { executePlan, type StepOutcome } from "./executor.ts";
import { DEFAULT_PREFIX } from "./names.ts";
import type { DesiredServer, ObservedServer, Plan, RampOptions } from "./plan.ts";
import { planReconcile } from "./plan.ts";
import { ReconcileMemory } from "./memory.ts";
import { nextPassDelayMs } from "./schedule.ts";
import { observeBackends, validateDesired } from "./observe.ts";
import { validateName } from "./validate.ts";

/** Settings of a {@linkcode Reconciler}. */
export interface ReconcilerOptions {
  /** Backends shoal manages; each must take dynamic servers. */
  backends: readonly string[];
  /** Only servers with this name prefix are touched. @default "shoal-" */
  prefix?: string;
  /** @default systemClock */
  /** Time source for timers and deadlines. */
  clock?: Clock;
  /** @default nullLogger */
  /** Where `haproxy.*` events are logged. */
  logger?: Logger;
  /** Interval of the periodic pass (catches reloads, restarts and drift). @default 2000 */
  periodMs?: number;
  /** Delay that coalesces bursts of changes into one pass. @default 10 */
  coalesceMs?: number;
  /** Delay before retrying a failed pass (HAProxy down or restarting). @default 250 */
  retryMs?: number;
  /** Longest graceful drain before sessions are shut down. @default 30000 */
  drainTimeoutMs?: number;
  /** Interval between passes while a drain is waiting for sessions to end. @default 200 */
  drainPollMs?: number;
  /**
   * Read `show stat` every pass so {@linkcode Reconciler.observed} has every server's sessions
   * (for metrics); otherwise only backends with draining servers are read.
   * @default false
   */
  observeSessions?: boolean;
  /** Optional stepped weight ramp for new servers (an alternative to `slowstartMs`). */
  ramp?: RampOptions;
}

/** What one pass did. */
export interface PassReport {
  /** The plan computed by the pass. */
  readonly plan: Plan;
  /** What happened to each step. */
  readonly outcomes: readonly StepOutcome[];
  /** True when HAProxy's process identity changed since the previous pass. */
  readonly restartDetected: boolean;
}

const SETTLE_ROUNDS_MAX = 3;

/** Most servers accepted for one backend (desired state comes from gossip, so it is bounded). */
export const DESIRED_SERVERS_MAX = 10_000;

/**
 * Reconciles desired servers with HAProxy.
 *
 * @example
 * ```ts ignore
 * import { Reconciler, RuntimeClient } from "./mod.ts";
 * const client = new RuntimeClient({ socketPath: "/run/haproxy/admin.sock" });
 * const reconciler = new Reconciler(client, { backends: ["app"] });
 * await reconciler.start();
 * reconciler.setDesired("app", [
 *   { name: "shoal-web-1", addr: "10.0.0.5", port: 8080, weight: 10, state: "ready", check: { interMs: 500 } },
 * ]);
 * ```
 */
export class Reconciler {
  readonly #client: RuntimeClient;
  readonly #backends: readonly string[];
  readonly #prefix: string;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #opts: Required<Omit<ReconcilerOptions, "ramp" | "logger" | "clock">>;
  readonly #ramp: RampOptions | undefined;
  readonly #desired = new Map<string, readonly DesiredServer[]>();
  readonly #memory = new ReconcileMemory();
  #observed = new Map<string, readonly ObservedServer[]>();
  #running: Promise<void> | undefined;
  #dirty = false;
  #timer: TimerId | undefined;
  #timerDueMs = Infinity;
  #started = false;
  #unsubscribe: (() => void) | undefined;
  #lastPass: PassReport | undefined;
  #passes = 0;

  /** Creates a reconciler for `options.backends`; call {@linkcode Reconciler.start} to run it. */
  constructor(client: RuntimeClient, options: ReconcilerOptions) {
    this.#client = client;
    this.#prefix = validateName("prefix", options.prefix ?? DEFAULT_PREFIX);
    this.#backends = options.backends.map((b) => validateName("backend", b));
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger ?? nullLogger;
    this.#ramp = options.ramp;
    this.#opts = {
      backends: this.#backends,
      prefix: this.#prefix,
      periodMs: options.periodMs ?? 2000,
      coalesceMs: options.coalesceMs ?? 10,
      retryMs: options.retryMs ?? 250,
      drainTimeoutMs: options.drainTimeoutMs ?? 30_000,
      drainPollMs: options.drainPollMs ?? 200,
      observeSessions: options.observeSessions ?? false,
    };
    for (const backend of this.#backends) this.#desired.set(backend, []);
  }

  /**
   * Replaces the desired servers of a managed backend and schedules a pass. Every name, address,
   * port and weight is validated here; a {@linkcode ValidationError} leaves the old set in place.
   */
  setDesired(backend: string, servers: readonly DesiredServer[]): void {
    if (!this.#desired.has(backend)) {
      throw new ValidationError("backend", backend, "not one of the managed backends");
    }
    this.#desired.set(backend, validateDesired(servers, this.#prefix, DESIRED_SERVERS_MAX));
    this.trigger();
  }

  /** The desired servers of a backend. */
  desired(backend: string): readonly DesiredServer[] {
    return this.#desired.get(backend) ?? [];
  }

  /** What HAProxy reported for a backend in the last pass (state, weight, sessions when read). */
  observed(backend: string): readonly ObservedServer[] {
    return this.#observed.get(backend) ?? [];
  }

  /** Passes completed so far. */
  get passCount(): number {
    return this.#passes;
  }

  /** The report of the last completed pass. */
  get lastPass(): PassReport | undefined {
    return this.#lastPass;
  }

  /**
   * Checks the HAProxy version and every managed backend (throws {@linkcode BackendCheckError} or
   * {@linkcode UnsupportedVersionError}; {@linkcode HaproxyConnectionError} if HAProxy is not
   * reachable yet, so call again later), runs a first pass, and starts the periodic passes.
   */
  async start(): Promise<void> {
    if (this.#started) return;
    await checkVersion(this.#client);
    for (const backend of this.#backends) await checkBackend(this.#client, backend, this.#prefix);
    this.#started = true;
    this.#unsubscribe = this.#client.addDisconnectListener(() => this.trigger());
    this.#log.info("haproxy.reconciler.started", { backends: this.#backends.join(",") });
    this.#dirty = true;
    this.#runNow();
    await this.#running;
  }

  /** Stops scheduling passes and waits for the one in progress. */
  async stop(): Promise<void> {
    this.#started = false;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#clearTimer();
    await this.#running;
  }

  /** Schedules a pass soon; bursts of triggers coalesce into one. */
  trigger(): void {
    this.#dirty = true;
    if (this.#started && !this.#running) this.#schedule(this.#opts.coalesceMs);
  }

  /**
   * Runs a pass now if a change is waiting for one, and resolves when passes stop (at most a
   * few rounds, so it ends even while HAProxy is down).
   */
  async settled(): Promise<void> {
    for (let round = 0; round < SETTLE_ROUNDS_MAX; round++) {
      if (!this.#running && this.#dirty && this.#started) this.#runNow();
      if (!this.#running) return;
      await this.#running;
    }
  }

  /** Runs one pass now, after any pass in progress, and reports it (errors propagate). */
  async reconcileOnce(): Promise<PassReport> {
    while (this.#running) await this.#running;
    return await this.#pass();
  }

  async #pass(): Promise<PassReport> {
    this.#dirty = false;
    const restartDetected = await this.#checkIdentity();
    this.#observed = await observeBackends(this.#client, this.#backends, {
      prefix: this.#prefix,
      allSessions: this.#opts.observeSessions,
    });
    const nowMs = this.#clock.nowMs();
    this.#memory.noteObserved(this.#observed, nowMs);
    const plan = planReconcile({
      desired: this.#desired,
      observed: this.#observed,
      prefix: this.#prefix,
      nowMs,
      drainTimeoutMs: this.#opts.drainTimeoutMs,
      drainStartedMs: this.#memory.drainStartedMs,
      ...(this.#ramp ? { ramp: { ...this.#ramp, startedMs: this.#memory.rampStartedMs } } : {}),
    });
    const outcomes = plan.steps.length === 0
      ? []
      : await executePlan(this.#client, plan.steps, { clock: this.#clock });
    this.#memory.noteOutcomes(outcomes, this.#clock.nowMs(), this.#ramp !== undefined);
    this.#logOutcomes(outcomes);
    const report = { plan, outcomes, restartDetected };
    this.#lastPass = report;
    this.#passes++;
    this.#log.debug("haproxy.reconcile.pass", {
      steps: plan.steps.length,
      waiting: plan.waiting.length,
      failed: outcomes.filter((o) => o.error).length,
    });
    return report;
  }

  async #checkIdentity(): Promise<boolean> {
    let info = await this.#client.info();
    if (info.stopping) {
      this.#log.info("haproxy.connection.stale", { pid: info.pid });
      await this.#client.reset();
      info = await this.#client.info();
    }
    const changed = this.#memory.noteProcess(info.pid, info.startTimeSec);
    if (changed) {
      this.#log.warn("haproxy.restart.detected", {
        pid: info.pid,
        startTimeSec: info.startTimeSec,
      });
    }
    return changed;
  }

  #logOutcomes(outcomes: readonly StepOutcome[]): void {
    for (const { step, error } of outcomes) {
      const server = "server" in step ? step.server.name : step.name;
      const fields = { backend: step.backend, server, step: step.kind };
      if (error) this.#log.warn("haproxy.step.failed", { ...fields, error: error.message });
      else this.#log.info(`haproxy.server.${step.kind}`, fields);
    }
  }

  #runNow(): void {
    this.#clearTimer();
    const run = this.#pass().then(
      (report) => this.#afterPass(report),
      (error: unknown) => {
        this.#log.warn("haproxy.reconcile.failed", {
          error: error instanceof Error ? error.message : String(error),
        });
        this.#dirty = true;
        return this.#opts.retryMs;
      },
    ).then((delayMs) => {
      this.#running = undefined;
      if (this.#started) {
        this.#schedule(this.#dirty ? Math.min(delayMs, this.#opts.coalesceMs) : delayMs);
      }
    });
    this.#running = run;
  }

  #afterPass(report: PassReport): number {
    const failed = report.outcomes.some((o) => o.error !== undefined);
    return nextPassDelayMs(report.plan, failed, {
      ...this.#opts,
      ...(this.#ramp ? { rampStepMs: this.#ramp.stepMs } : {}),
    });
  }

  #schedule(delayMs: number): void {
    const dueMs = this.#clock.nowMs() + delayMs;
    if (this.#timer !== undefined && this.#timerDueMs <= dueMs) return;
    this.#clearTimer();
    this.#timerDueMs = dueMs;
    this.#timer = this.#clock.setTimer(delayMs, () => {
      this.#timer = undefined;
      this.#timerDueMs = Infinity;
      if (this.#started && !this.#running) this.#runNow();
    });
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#timerDueMs = Infinity;
  }
}
