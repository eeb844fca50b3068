/**
 * Watching HAProxy during a fault: polls until stopped and records every moment a condition (all
 * expected servers UP) did not hold.
 *
 * @module
 */

/** A running watch; {@linkcode UpWatch.stop} ends it. */
export interface UpWatch {
  /** `performance.now()` of every poll at which the condition was false. */
  readonly gaps: number[];
  stop(): Promise<void>;
}

/** Polls `read` every 50 ms until stopped, recording every moment it was false (or threw). */
export function watchUp(read: () => Promise<boolean>): UpWatch {
  const gaps: number[] = [];
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      if (!(await read().catch(() => false))) gaps.push(performance.now());
      await new Promise((r) => setTimeout(r, 50)); // the watcher's pace, not a synchronisation
    }
  })();
  return {
    gaps,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}
