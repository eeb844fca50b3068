/**
 * Runs `shoal` (main.ts) as a real child process for end-to-end tests, collecting its JSON log
 * lines so tests can wait for a logged event instead of sleeping.
 *
 * @module
 */

/** The entry point run by default: the sources. A benchmark may pass a bundle of them instead. */
export const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** How long output is still collected after shoal exits. */
const PIPE_DRAIN_MS = 2000;

/** A running shoal process. */
export interface ShoalProcess {
  readonly pid: number;
  /** Every JSON log line so far. */
  logs(): Record<string, unknown>[];
  /** Raw stderr + stdout so far. */
  output(): string;
  /** Resolves with the first JSON log line that satisfies `match`, or throws after `deadlineMs`. */
  waitForLine(
    match: (line: Record<string, unknown>) => boolean,
    what: string,
    deadlineMs?: number,
  ): Promise<Record<string, unknown>>;
  /** Resolves with the first log line whose event is `event` (and matches `where`), or throws. */
  waitForLog(
    event: string,
    where?: (line: Record<string, unknown>) => boolean,
    deadlineMs?: number,
  ): Promise<Record<string, unknown>>;
  kill(signal: Deno.Signal): void;
  /** Exit status (code, or 128 + signal). */
  readonly status: Promise<Deno.CommandStatus>;
  /** The exit status as soon as the process exits (`status` also waits for its output). */
  readonly exited: Promise<Deno.CommandStatus>;
  /** SIGKILLs if still running and waits; safe to call twice. */
  stop(): Promise<void>;
}

/** How a process is started. */
export interface StartOptions {
  /** A command prefix the program runs under, e.g. `["ip", "netns", "exec", name]`. */
  readonly wrap?: readonly string[];
  /** The name error messages use. @default the program's file name */
  readonly label?: string;
}

/** How {@linkcode startShoal} runs shoal. */
export interface ShoalStartOptions extends StartOptions {
  /** The entry point: main.ts, or a bundle of it. @default MAIN */
  readonly main?: string;
  /** Flags of `deno run` before the entry point (e.g. `--cpu-prof`). */
  readonly runFlags?: readonly string[];
}

/** Starts `deno run -A main.ts <args>` with JSON logs at debug level. */
export function startShoal(
  args: string[],
  env: Record<string, string> = {},
  o: ShoalStartOptions = {},
): ShoalProcess {
  const { main = MAIN, runFlags = [], ...start } = o;
  return startLogged(
    // --unstable-net as in deno.json, which a bundle run from elsewhere would not find
    [Deno.execPath(), "run", "-A", "--unstable-net", ...runFlags, main, ...args],
    // Tests run unencrypted unless they pass --encrypt; a test of the refusal sets SHOAL_INSECURE="".
    // No test may reach EC2 instance metadata (169.254.169.254): loopback only.
    {
      SHOAL_LOG_FORMAT: "json",
      SHOAL_LOG_LEVEL: "debug",
      SHOAL_INSECURE: "1",
      AWS_EC2_METADATA_DISABLED: "true",
      ...env,
    },
    { label: "shoal", ...start },
  );
}

/**
 * Starts `command` (under `o.wrap`) in its own process group, collecting its output and parsing
 * every stderr line that is JSON (shoal's and the Go shoal's logs).
 */
export function startLogged(
  command: readonly string[],
  env: Record<string, string>,
  o: StartOptions = {},
): ShoalProcess {
  const [program, ...rest] = [...(o.wrap ?? []), ...command];
  const label = o.label ?? command[0]!.split("/").pop();
  const child = new Deno.Command(program!, {
    args: rest,
    env,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    // its own process group: stop() kills shoal with its worker, which would otherwise keep the
    // output pipes open after shoal is gone
    detached: true,
  }).spawn();
  let text = "";
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  const td = new TextDecoder();
  let partial = "";
  const pump = async (s: ReadableStream<Uint8Array>, parse: boolean) => {
    for await (const chunk of s) {
      const t = td.decode(chunk, { stream: true });
      text += t;
      if (!parse) continue;
      partial += t;
      const parts = partial.split("\n");
      partial = parts.pop()!;
      for (const line of parts) {
        try {
          lines.push(JSON.parse(line));
        } catch {
          // not a log line
        }
      }
      for (const w of waiters) w();
    }
  };
  const pumps = Promise.all([pump(child.stdout, false), pump(child.stderr, true)]);
  let exited = false;
  const status = child.status.then(async (s) => {
    exited = true;
    // a surviving grandchild may hold the pipes: read what is there, but never wait forever
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([pumps, new Promise((r) => (timer = setTimeout(r, PIPE_DRAIN_MS)))]);
    clearTimeout(timer);
    for (const w of waiters) w();
    return s;
  });
  const proc: ShoalProcess = {
    pid: child.pid,
    logs: () => lines,
    output: () => text,
    waitForLog(event, where = () => true, deadlineMs = 15_000) {
      return proc.waitForLine((l) => l.event === event && where(l), event, deadlineMs);
    },
    waitForLine(match, what, deadlineMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find(match);
          if (hit) return done(() => resolve(hit));
          if (exited) {
            return done(() =>
              reject(new Error(`${label} exited before logging ${what}:\n${text}`))
            );
          }
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`no ${what} within ${deadlineMs} ms:\n${text}`))),
          deadlineMs,
        );
        const done = (f: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      });
    },
    kill(signal) {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    },
    status,
    exited: child.status,
    async stop() {
      try {
        Deno.kill(-child.pid, "SIGKILL"); // the whole group: shoal and its worker
      } catch {
        // already gone
      }
      await status;
    },
  };
  return proc;
}
