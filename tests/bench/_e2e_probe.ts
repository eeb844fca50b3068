/**
 * Helpers of the end-to-end benchmark (tests/bench/e2e.ts): a prober that finds the first request
 * HAProxy routes to a new task, and the markdown summary of the samples.
 *
 * @module
 */

/** One task's way from start to routable, in ms, each interval from log timestamps. */
export interface Sample {
  readonly name: string;
  /** `shoal task` spawned → worker ready (`task.ready`). */
  readonly startToReadyMs: number;
  /** Worker ready → the task's join finished (`task.joined`). */
  readonly readyToJoinedMs: number;
  /** Joined → the first announce round that had a sidecar to ask (`task.announce`, sidecars > 0). */
  readonly joinedToSentMs: number;
  /** That announce sent → received and accepted by the sidecar (`sidecar.announce`). */
  readonly sentToAnnounceMs: number;
  /** Announce rounds the task retried before a sidecar answered (`task.announce.retry`). */
  readonly announceRetries: number;
  /** Announce accepted → `add server` sent (reconcile coalescing + runtime API). */
  readonly announceToAddMs: number;
  /** Server added → first request served through HAProxy (its first health check). */
  readonly addToServedMs: number;
  /** Worker ready → first request served through HAProxy: the target (150 ms). */
  readonly readyToServedMs: number;
}

/** Probe period: one GET every 5 ms bounds the measurement error without starving the CPU. */
export const PROBE_PERIOD_MS = 5;

/**
 * GETs `url` every {@linkcode PROBE_PERIOD_MS} (paced by deadline) until one answers 200;
 * resolves to that answer's arrival time (`Date.now()` scale, like the log timestamps).
 */
export async function probeUntilServed(url: string, deadlineMs: number): Promise<number> {
  const startMs = performance.now();
  for (let i = 0;; i++) {
    const dueMs = startMs + i * PROBE_PERIOD_MS;
    if (dueMs - startMs > deadlineMs) throw new Error(`${url} not served within ${deadlineMs} ms`);
    const waitMs = dueMs - performance.now();
    if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs)); // the probe's pace
    try {
      const res = await fetch(url, {
        headers: { connection: "close" },
        signal: AbortSignal.timeout(1000),
      });
      await res.body?.cancel();
      if (res.status === 200) return Date.now();
    } catch {
      // HAProxy not listening yet, or the request timed out: probe again
    }
  }
}

function stats(values: number[]): string {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return `${s[0]} | ${at(0.5)} | ${at(0.9)} | ${s.at(-1)}`;
}

/** The per-task table and the min/median/p90/max table, in markdown. */
export function summarise(samples: readonly Sample[]): string {
  const cols: [string, keyof Omit<Sample, "name">][] = [
    ["start → worker ready", "startToReadyMs"],
    ["ready → joined", "readyToJoinedMs"],
    ["joined → announce sent", "joinedToSentMs"],
    ["announce sent → at sidecar", "sentToAnnounceMs"],
    ["announce retries", "announceRetries"],
    ["announce → add server", "announceToAddMs"],
    ["add server → first request served", "addToServedMs"],
    ["**ready → routable**", "readyToServedMs"],
  ];
  const lines = [
    `| task | ${cols.map(([h]) => h).join(" | ")} |`,
    `|---|${cols.map(() => "---:").join("|")}|`,
    ...samples.map((s) => `| ${s.name} | ${cols.map(([, k]) => s[k]).join(" | ")} |`),
    "",
    "| interval (ms) | min | median | p90 | max |",
    "|---|---:|---:|---:|---:|",
    ...cols.map(([h, k]) => `| ${h} | ${stats(samples.map((s) => s[k]))} |`),
  ];
  const within = samples.filter((s) => s.readyToServedMs <= 150).length;
  lines.push("", `Routable within 150 ms of readiness: ${within}/${samples.length} tasks.`);
  return lines.join("\n");
}
