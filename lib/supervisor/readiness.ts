/**
 * Waiting for the worker to become ready, by any {@linkcode ReadinessSpec}.
 *
 * @module
 */

import type { NotifySocket } from "./notify.ts";
import { type CheckContext, makeCheck } from "./probes.ts";
import type { ReadinessSpec } from "./probe_spec.ts";
import { sleep } from "../clock.ts";

/** Options for {@linkcode waitForReadiness}. */
export interface WaitForReadinessOptions extends CheckContext {
  /** Pause between failed probe attempts. */
  readonly intervalMs: number;
  /** Per-attempt timeout for `http:` and `exec:` probes. */
  readonly attemptTimeoutMs: number;
  /** The notify socket; required for `notify`. */
  readonly notify?: NotifySocket | undefined;
  /** Aborts the wait (ready timeout, worker exit). */
  readonly signal: AbortSignal;
}

/** Resolves true once the worker is ready, false if `signal` aborted first. */
export async function waitForReadiness(
  spec: ReadinessSpec,
  options: WaitForReadinessOptions,
): Promise<boolean> {
  const { signal, clock } = options;
  switch (spec.kind) {
    case "delay":
      return await sleep(clock, spec.delayMs, { signal });
    case "notify": {
      if (options.notify === undefined) throw new Error("notify readiness needs a NotifySocket");
      const aborted = new Promise<boolean>((resolve) => {
        if (signal.aborted) resolve(false);
        signal.addEventListener("abort", () => resolve(false), { once: true });
      });
      return await Promise.race([options.notify.ready.then(() => !signal.aborted), aborted]);
    }
    default: {
      const check = makeCheck(spec, options);
      try {
        while (!signal.aborted) {
          if (await check.run(options.attemptTimeoutMs, signal)) return !signal.aborted;
          await sleep(clock, options.intervalMs, { signal });
        }
        return false;
      } finally {
        check.close();
      }
    }
  }
}
