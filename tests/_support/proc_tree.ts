/**
 * Process trees read from `/proc`: descendants and children of a process, and signalling a
 * process with all its descendants (the e2e tests' cleanup, see `cluster_e2e.ts`).
 *
 * @module
 */

/** Every descendant of `pid` (children first-level first), read from `/proc`. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0 && out.length < 1024) {
    const p = queue.shift()!;
    let tids: string[] = [];
    try {
      tids = [...Deno.readDirSync(`/proc/${p}/task`)].map((e) => e.name);
    } catch {
      continue; // gone
    }
    for (const tid of tids) {
      let text = "";
      try {
        text = Deno.readTextFileSync(`/proc/${p}/task/${tid}/children`);
      } catch {
        continue;
      }
      for (const c of text.trim().split(/\s+/).filter((s) => s !== "")) {
        out.push(Number(c));
        queue.push(Number(c));
      }
    }
  }
  return out;
}

/** The direct children of `pid` (for a supervising sidecar: the HAProxy master). */
export function children(pid: number): number[] {
  return descendants(pid).filter((c) => {
    try {
      return /^PPid:\s+(\d+)$/m.exec(Deno.readTextFileSync(`/proc/${c}/status`))?.[1] ===
        String(pid);
    } catch {
      return false;
    }
  });
}

/**
 * Signals `pid` and all its descendants at once (collected before the first signal), as a
 * process-group kill would: a task crash takes its worker with it.
 */
export function killTree(pid: number, signal: Deno.Signal): void {
  for (const p of [pid, ...descendants(pid)]) {
    try {
      Deno.kill(p, signal);
    } catch {
      // already gone
    }
  }
}
