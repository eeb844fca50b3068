/**
 * Polling without a peer: tests that wait for a condition but start no `serf` import this, not
 * serf_agent.ts, so `.ci/peer_tests.ts` does not count them as serf-dependent.
 *
 * @module
 */

/** Awaits `cond` every `stepMs` until `deadlineMs` of wall time; throws with `what` on timeout. */
export async function waitFor(
  what: string,
  cond: () => Promise<boolean> | boolean,
  deadlineMs = 10_000,
  stepMs = 50,
): Promise<void> {
  const end = performance.now() + deadlineMs;
  while (performance.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`Timed out after ${deadlineMs} ms waiting for ${what}`);
}
