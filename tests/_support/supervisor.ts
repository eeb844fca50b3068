/**
 * Helpers for supervisor tests: worker paths, a minimal HTTP client, /proc inspection, and a
 * launcher for `run_supervisor.ts` that exposes its JSON-line events.
 *
 * @module
 */

/** Absolute path of a worker program in `tests/_support/workers/`. */
export function workerPath(name: string): string {
  return new URL(`./workers/${name}`, import.meta.url).pathname;
}

/** Absolute path of `run_supervisor.ts`. */
export const RUN_SUPERVISOR = new URL("./run_supervisor.ts", import.meta.url).pathname;

/** Throws with an install hint when `python3` is missing. */
export function requirePython(): void {
  try {
    const out = new Deno.Command("python3", { args: ["--version"] }).outputSync();
    if (out.success) return;
  } catch { /* fall through */ }
  throw new Error("python3 is required by the supervisor tests: apt-get install -y python3");
}

/** Throws with a hint when this process cannot create a pid namespace (needs root and util-linux). */
export function requireUnshare(): void {
  try {
    const out = new Deno.Command("unshare", {
      args: ["--pid", "--fork", "--mount-proc", "true"],
      stderr: "piped",
    }).outputSync();
    if (out.success) return;
    throw new Error(new TextDecoder().decode(out.stderr).trim());
  } catch (e) {
    throw new Error(
      `PID-1 tests need "unshare --pid --fork --mount-proc" (root, apt-get install -y util-linux): ${e}`,
    );
  }
}

import { waitFor } from "./wait.ts";

export { waitFor };

/** An HTTP/1.0 GET over a fresh connection; resolves with status and body. */
export async function httpGet(
  hostname: string,
  port: number,
  path: string,
): Promise<{ status: number; body: string }> {
  const conn = await Deno.connect({ hostname, port });
  try {
    await conn.write(new TextEncoder().encode(`GET ${path} HTTP/1.0\r\nHost: x\r\n\r\n`));
    const text = await new Response(conn.readable).text();
    const [head = "", body = ""] = text.split("\r\n\r\n", 2);
    return { status: Number(head.split(" ")[1]), body };
  } finally {
    try {
      conn.close();
    } catch { /* closed by the readable */ }
  }
}

/** The fd numbers open in process `pid`, sorted. */
export function openFds(pid: number): number[] {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].map((e) => Number(e.name)).sort((a, b) => a - b);
}

/**
 * The fds of `pid` once they equal `expected`, or the last set seen after `timeoutMs`. A worker
 * that just answered an HTTP request may still hold the accepted connection for a moment.
 */
export async function settledFds(
  pid: number,
  expected: number[],
  timeoutMs = 3000,
): Promise<number[]> {
  let last: number[] = [];
  await waitFor(`fds of ${pid} to be ${expected}`, () => {
    last = openFds(pid);
    return last.join() === expected.join();
  }, timeoutMs).catch(() => undefined);
  return last;
}

/** A `/proc/<pid>/status` field, e.g. `SigIgn`, `State`, `PPid`; undefined if gone. */
export function procStatusField(pid: number, field: string): string | undefined {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/status`);
    return new RegExp(`^${field}:\\s*(.*)$`, "m").exec(text)?.[1]?.trim();
  } catch {
    return undefined;
  }
}

/** True when signal `n` is ignored in process `pid` (bit n-1 of SigIgn). */
export function signalIgnored(pid: number, n: number): boolean {
  const mask = BigInt(`0x${procStatusField(pid, "SigIgn") ?? "0"}`);
  return ((mask >> BigInt(n - 1)) & 1n) === 1n;
}

/** Direct children of `pid` (all its threads). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
      const text = Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/children`).trim();
      if (text !== "") out.push(...text.split(/\s+/).map(Number));
    }
  } catch { /* process gone */ }
  return out;
}

/** Children of `pid` that are zombies. */
export function zombieChildren(pid: number): number[] {
  return childPids(pid).filter((c) => procStatusField(c, "State")?.startsWith("Z"));
}

/** One JSON line printed by run_supervisor. */
export type RunEvent = { ev: string } & Record<string, unknown>;

/** A running `run_supervisor.ts` process. */
export interface SupervisorProcess {
  readonly process: Deno.ChildProcess;
  readonly events: RunEvent[];
  /** Waits for the first event named `ev` (already seen or future). */
  event(ev: string, timeoutMs?: number): Promise<RunEvent>;
  /** Resolves with the exit code once the process has exited and its stdout drained. */
  readonly code: Promise<number>;
  /**
   * If still running: SIGTERM (a graceful stop of the worker), SIGKILL after 5 s (which also
   * ends a pid namespace); awaits the exit.
   */
  kill(): Promise<void>;
}

/**
 * Starts `run_supervisor.ts` with `args`, optionally as PID 1 of a new pid namespace
 * (`unshare --pid --fork --mount-proc`, needs root).
 */
export function launchSupervisor(args: string[], opts: { pid1?: boolean } = {}): SupervisorProcess {
  const deno = ["run", "-A", "--unstable-net", RUN_SUPERVISOR, ...args];
  const cmd = opts.pid1
    ? new Deno.Command("unshare", {
      args: ["--pid", "--fork", "--mount-proc", "--kill-child", Deno.execPath(), ...deno],
      stdout: "piped",
    })
    : new Deno.Command(Deno.execPath(), { args: deno, stdout: "piped" });
  const process = cmd.spawn();
  const events: RunEvent[] = [];
  const pump = (async () => {
    let rest = "";
    for await (const chunk of process.stdout.pipeThrough(new TextDecoderStream())) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) {
        if (line.startsWith('{"ev":')) events.push(JSON.parse(line));
      }
    }
  })();
  let exited = false;
  const code = Promise.all([process.status, pump]).then(([s]) => {
    exited = true;
    return s.code;
  });
  return {
    process,
    events,
    code,
    async kill() {
      if (exited) return;
      process.kill("SIGTERM");
      await waitFor("supervisor exit after SIGTERM", () => exited, 5000).catch(() => {
        if (!exited) process.kill("SIGKILL");
      });
      await code;
    },
    event: (ev, timeoutMs = 15_000) =>
      waitFor(
        `event "${ev}" (seen: ${events.map((e) => e.ev).join(",")})`,
        () => events.find((e) => e.ev === ev),
        timeoutMs,
      ),
  };
}
