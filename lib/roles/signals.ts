/**
 * Turning SIGTERM/SIGINT into a graceful stop, once: the first signal starts the role's stop, a
 * second one exits at once (an operator who presses Ctrl-C twice means it).
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";
import type { ProcessHost } from "../supervisor/process_host.ts";

/** Exit status used when a second signal cuts a graceful stop short (128 + SIGINT). */
export const FORCED_EXIT_CODE = 130;

/**
 * Resolves with the first stop signal `host` receives; a second one calls `host.exit`.
 * The returned `dispose` removes the listeners.
 */
export function stopSignals(
  log: Logger,
  host: Pick<ProcessHost, "addSignalListener" | "removeSignalListener" | "exit">,
): { signal: Promise<Deno.Signal>; dispose(): void } {
  let fired = false;
  let resolve!: (s: Deno.Signal) => void;
  const signal = new Promise<Deno.Signal>((r) => (resolve = r));
  const handlers = (["SIGTERM", "SIGINT"] as const).map((sig) => {
    const h = () => {
      if (fired) {
        log.warn("signal.forced_exit", { signal: sig });
        host.exit(FORCED_EXIT_CODE);
        return;
      }
      fired = true;
      log.info("signal.received", { signal: sig });
      resolve(sig);
    };
    host.addSignalListener(sig, h);
    return [sig, h] as const;
  });
  return {
    signal,
    dispose: () => {
      for (const [sig, h] of handlers) host.removeSignalListener(sig, h);
    },
  };
}
