/**
 * Runs the real `serf` CLI (serf 0.9.x, Debian package `serf`) against an RPC address on
 * loopback, for contract tests of shoal's agent RPC.
 *
 * @module
 */

/** The CLI's exit code and output. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The serf the tests run: `$SHOAL_SERF` when set, else `serf` from PATH. `.ci/run` runs the
 * serf-dependent tests again with serf 0.10 first on PATH. Every test that starts serf names it
 * through this function (`.ci/peer_tests.ts` finds the serf-dependent tests by it).
 */
export function serfBinary(): string {
  return Deno.env.get("SHOAL_SERF") || "serf";
}

/** Throws with install instructions when `serf` is not on PATH. */
export async function requireSerfBinary(): Promise<void> {
  try {
    await new Deno.Command(serfBinary(), { args: ["version"], stdout: "null", stderr: "null" })
      .output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(
        "The `serf` binary is missing: install it with `apt-get install serf` (Debian).",
      );
    }
    throw e;
  }
}

/** Runs `serf <command> -rpc-addr=<addr> ...args`, killed after `timeoutMs`. */
export async function serfCli(
  command: string,
  addr: string,
  args: string[] = [],
  timeoutMs = 15_000,
): Promise<CliResult> {
  const out = await new Deno.Command(serfBinary(), {
    args: [command, `-rpc-addr=${addr}`, ...args],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const td = new TextDecoder();
  return { code: out.code, stdout: td.decode(out.stdout), stderr: td.decode(out.stderr) };
}

/** A long-running CLI command (`serf monitor`) whose output is read as it arrives. */
export interface CliStream {
  /** stdout + stderr so far. */
  output(): string;
  /** Resolves with the first output line matching `re`, or throws after `deadlineMs`. */
  waitForLine(re: RegExp, deadlineMs?: number): Promise<string>;
  /** Interrupts (SIGINT, as Ctrl-C) and resolves with the exit code. */
  stop(): Promise<number>;
}

/** Starts `serf <command> -rpc-addr=<addr> ...args` and streams its output. */
export function spawnSerfCli(command: string, addr: string, args: string[] = []): CliStream {
  const child = new Deno.Command(serfBinary(), {
    args: [command, `-rpc-addr=${addr}`, ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  let text = "";
  const td = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) text += td.decode(chunk, { stream: true });
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const find = (re: RegExp) => text.split("\n").find((l) => re.test(l));
  return {
    output: () => text,
    waitForLine: async (re, deadlineMs = 10_000) => {
      const end = performance.now() + deadlineMs;
      while (performance.now() < end) {
        const line = find(re);
        if (line !== undefined) return line;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`Timed out waiting for ${re} in serf ${command} output:\n${text}`);
    },
    stop: async () => {
      try {
        child.kill("SIGINT");
      } catch {
        // already exited
      }
      const status = await child.status;
      await pumps;
      return status.code;
    },
  };
}
