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
