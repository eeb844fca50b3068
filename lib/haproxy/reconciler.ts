/**
 * The reconciler shell: keeps the desired servers per managed backend, reads what HAProxy has,
 * asks {@linkcode planReconcile} for the steps and sends them. It runs on start, on every change
 * (coalesced), periodically, and as soon as the admin connection drops (restart or reload).
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import { type Logger, nullLogger } from "../log/logger.ts";
import { type BackendMode, checkBackend, checkVersion } from "./backend_check.ts";
import type { RuntimeClient } from "./client.ts";
import { ValidationError } from "./errors.ts";
import { DEFAULT_PREFIX, isManagedName } from "./names.ts";
import { type PassContext, type PassReport, runPass } from "./pass.ts";
import type { DesiredServer, ObservedServer } from "./plan.ts";
import type { RampOptions } from "./ramp.ts";
import { ReconcileMemory } from "./memory.ts";
import { failedPassDelayMs, nextPassDelayMs, PassTimer } from "./schedule.ts";
import {
  type ReconcilerOptions,
  type ReconcilerTiming,
  resolveTiming,
} from "./reconciler_options.ts";
import { validateDesired } from "./observe.ts";
import { validateName } from "./validate.ts";
import { errorText } from "../log/error_text.ts";

export type { ReconcilerOptions } from "./reconciler_options.ts";
export { RETRY_DELAY_MAX_MS } from "./schedule.ts";

/**
 * With a state file, how soon a pass that changed something is followed by another: the new
 * servers' first checks have passed by then, so the saved state has them UP.
 */
export const STATE_FOLLOW_UP_MS = 300;

const SETTLE_ROUNDS_MAX = 3;

/** Most servers accepted for one backend (desired state comes from gossip, so it is bounded). */
export const DESIRED_SERVERS_MAX = 10_000;

/**
 * Reconciles desired servers with HAProxy.
 *
 * A backend is left exactly as it is until {@linkcode Reconciler.setDesired} has been called for
 * it: a restarted sidecar does not delete the servers that are serving traffic. Read them with
 * {@linkcode Reconciler.foundAtStart}, adopt the ones that should stay, then call `setDesired`.
 *
 * @example
 * ```ts ignore
 * import { Reconciler, RuntimeClient } from "./mod.ts";
 * const client = new RuntimeClient({ socketPath: "/run/haproxy/admin.sock" });
 * const reconciler = new Reconciler(client, { backends: ["app"] });
 * await reconciler.start();
 * const running = reconciler.foundAtStart("app"); // managed servers HAProxy already had
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
  /** Aborted by {@linkcode Reconciler.stop}, so a pass in progress skips its pauses. */
  #stopping = new AbortController();
  readonly #log: Logger;
  readonly #opts: ReconcilerTiming;
  readonly #onPass: ((report: PassReport) => void) | undefined;
  readonly #onPassFailed: ((error: unknown) => void) | undefined;
  readonly #serverOptions: ReadonlyMap<string, readonly string[]>;
  readonly #modes = new Map<string, BackendMode>();
  readonly #stateFile: string | undefined;
  readonly #ramp: RampOptions | undefined;
  /** Only backends `setDesired` was called for; the plan never touches the others. */
  readonly #desired = new Map<string, readonly DesiredServer[]>();
  readonly #memory = new ReconcileMemory();
  #observed = new Map<string, readonly ObservedServer[]>();
  #foundAtStart: Map<string, readonly ObservedServer[]> | undefined;
  #running: Promise<void> | undefined;
  #dirty = false;
  readonly #timer: PassTimer;
  #started = false;
  #unsubscribe: (() => void) | undefined;
  #lastPass: PassReport | undefined;
  #passes = 0;
  #failures = 0;

  /** Creates a reconciler for `options.backends`; call {@linkcode Reconciler.start} to run it. */
  constructor(client: RuntimeClient, options: ReconcilerOptions) {
    this.#client = client;
    this.#prefix = validateName("prefix", options.prefix ?? DEFAULT_PREFIX);
    this.#backends = options.backends.map((b) => validateName("backend", b));
    this.#clock = options.clock ?? client.clock;
    this.#log = options.logger ?? nullLogger;
    this.#ramp = options.ramp;
    this.#stateFile = options.stateFile;
    this.#serverOptions = options.serverOptions ?? new Map();
    this.#onPass = options.onPass;
    this.#onPassFailed = options.onPassFailed;
    this.#timer = new PassTimer(this.#clock, () => {
      if (this.#started && !this.#running) this.#launch().catch(() => {});
    });
    this.#opts = resolveTiming(options, this.#backends, this.#prefix);
  }

  /**
   * Replaces the desired servers of a managed backend and schedules a pass. Every name, address,
   * port and weight is validated here; a {@linkcode ValidationError} leaves the old set in place.
   * Until the first call for a backend, its servers are never added, changed or deleted.
   */
  setDesired(backend: string, servers: readonly DesiredServer[]): void {
    if (!this.#backends.includes(backend)) {
      throw new ValidationError("backend", backend, "not one of the managed backends");
    }
    this.#desired.set(backend, validateDesired(servers, this.#prefix, DESIRED_SERVERS_MAX));
    this.trigger();
  }

  /** The desired servers of a backend (empty before {@linkcode Reconciler.setDesired}). */
  desired(backend: string): readonly DesiredServer[] {
    return this.#desired.get(backend) ?? [];
  }

  /** What HAProxy reported for a backend in the last pass (state, weight, sessions when read). */
  observed(backend: string): readonly ObservedServer[] {
    return this.#observed.get(backend) ?? [];
  }

  /**
   * The managed servers (name with the prefix) HAProxy had in `backend` at the first pass that
   * succeeded; empty before it. The caller decides which to keep (for example for a grace
   * period) and passes them to `setDesired`.
   */
  foundAtStart(backend: string): readonly ObservedServer[] {
    return this.#foundAtStart?.get(backend) ?? [];
  }

  /** How {@linkcode Reconciler.start} found `backend`; undefined before it. */
  mode(backend: string): BackendMode | undefined {
    return this.#modes.get(backend);
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
    for (const backend of this.#backends) {
      const options = this.#serverOptions.get(backend) ?? [];
      const mode = await checkBackend(this.#client, backend, this.#prefix, options);
      this.#modes.set(backend, mode);
    }
    this.#started = true;
    this.#unsubscribe = this.#client.addDisconnectListener(() => this.trigger());
    this.#log.info("haproxy.reconciler.started", { backends: this.#backends.join(",") });
    this.#dirty = true;
    while (this.#running) await this.#running;
    this.#launch().catch(() => {});
    await this.#running;
  }

  /** Stops scheduling passes and waits for the one in progress. */
  async stop(): Promise<void> {
    this.#started = false;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#timer.clear();
    this.#stopping.abort();
    while (this.#running) await this.#running;
    this.#stopping = new AbortController();
  }

  /** Schedules a pass soon; bursts of triggers coalesce into one. */
  trigger(): void {
    this.#dirty = true;
    if (this.#started && !this.#running) this.#timer.schedule(this.#opts.coalesceMs);
  }

  /**
   * Runs a pass now if a change is waiting for one, and resolves when passes stop (at most a
   * few rounds, so it ends even while HAProxy is down).
   */
  async settled(): Promise<void> {
    for (let round = 0; round < SETTLE_ROUNDS_MAX; round++) {
      if (!this.#running && this.#dirty && this.#started) this.#launch().catch(() => {});
      if (!this.#running) return;
      await this.#running;
    }
  }

  /**
   * Runs one pass after any pass in progress and reports it (errors propagate). Passes never
   * overlap: this one counts as running for the timers and for other callers.
   */
  async reconcileOnce(): Promise<PassReport> {
    while (this.#running) await this.#running;
    return await this.#launch();
  }

  /** Starts a pass now; the caller has checked that none is running. */
  #launch(): Promise<PassReport> {
    this.#timer.clear();
    this.#dirty = false;
    const pass = this.#pass();
    this.#running = pass.then(
      (report) => {
        this.#failures = 0;
        this.#notify(() => this.#onPass?.(report));
        const delayMs = this.#afterPass(report);
        return this.#dirty ? Math.min(delayMs, this.#opts.coalesceMs) : delayMs;
      },
      (error: unknown) => {
        this.#failures++;
        // HAProxy down or restarting: retry with backoff, not at the coalescing pace.
        const delayMs = failedPassDelayMs(this.#opts.retryMs, this.#failures);
        this.#log.warn("haproxy.reconcile.failed", {
          error: errorText(error),
          failures: this.#failures,
          retryMs: delayMs,
        });
        this.#dirty = true;
        this.#notify(() => this.#onPassFailed?.(error));
        return delayMs;
      },
    ).then((delayMs) => {
      this.#running = undefined;
      if (this.#started) this.#timer.schedule(delayMs);
    });
    return pass;
  }

  async #pass(): Promise<PassReport> {
    const { report, observed } = await runPass(this.#context());
    this.#observed = observed;
    if (this.#foundAtStart === undefined) {
      const managed = (s: ObservedServer) => isManagedName(s.name, this.#prefix);
      this.#foundAtStart = new Map([...observed].map(([b, list]) => [b, list.filter(managed)]));
    }
    this.#lastPass = report;
    this.#passes++;
    return report;
  }

  #context(): PassContext {
    return {
      client: this.#client,
      backends: this.#backends,
      prefix: this.#prefix,
      desired: this.#desired,
      memory: this.#memory,
      clock: this.#clock,
      signal: this.#stopping.signal,
      log: this.#log,
      observeSessions: this.#opts.observeSessions,
      drainTimeoutMs: this.#opts.drainTimeoutMs,
      removeSettleMs: this.#opts.removeSettleMs,
      removeDelayMs: this.#opts.removeDelayMs,
      ramp: this.#ramp,
      stateFile: this.#stateFile,
    };
  }

  /** Calls an observer; its bug must not stop the passes, so it is logged, whatever it threw. */
  #notify(observe: () => void): void {
    try {
      observe();
    } catch (error) {
      this.#log.error("haproxy.reconcile.observer_failed", { error: errorText(error) });
    }
  }

  #afterPass(report: PassReport): number {
    const failed = report.outcomes.some((o) => o.error !== undefined);
    const delayMs = nextPassDelayMs(report.plan, failed, {
      ...this.#opts,
      ...(this.#ramp ? { rampStepMs: this.#ramp.stepMs } : {}),
    });
    const followUp = this.#stateFile !== undefined && report.outcomes.length > 0;
    return followUp ? Math.min(delayMs, STATE_FOLLOW_UP_MS) : delayMs;
  }
}
