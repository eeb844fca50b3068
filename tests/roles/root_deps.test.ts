/**
 * The roles' composition roots take what they touch from outside as injected dependencies (issue
 * 15's seams): the agent's logger and stop signal, the sidecar's process spawner.
 */

import { deepStrictEqual, equal, match } from "node:assert/strict";
import { parseCommandLine } from "../../lib/cli/program.ts";
import type { AgentConfig, SidecarConfig } from "../../lib/config.ts";
import { MemoryLogger } from "../../lib/log/logger.ts";
import { runAgent } from "../../lib/roles/agent.ts";
import { runSidecar } from "../../lib/roles/sidecar.ts";
import { SpawnError } from "../../lib/supervisor/errors.ts";
import { Spawner, type SpawnOptions } from "../../lib/supervisor/spawn.ts";
import { systemClock } from "../../lib/clock.ts";
import { waitFor } from "../_support/wait.ts";

const parseDeps = { env: () => undefined, hostname: () => "test" };

function parse(argv: string[]) {
  const r = parseCommandLine(argv, parseDeps);
  if (r.kind !== "run") throw new Error(`bad command line ${argv.join(" ")}: ${r.stderr}`);
  return r.config;
}

/** A stop signal the test fires. */
function manualStop() {
  let fire!: (signal: string) => void;
  let disposed = 0;
  const signal = new Promise<string>((r) => (fire = r));
  return { stop: { signal, dispose: () => void disposed++ }, fire, disposed: () => disposed };
}

Deno.test("agent: runs with an injected logger and stop signal, leaves on the signal", async () => {
  const log = new MemoryLogger();
  const { stop, fire, disposed } = manualStop();
  const config = parse([
    "agent",
    "--node=root-deps-agent",
    "--bind=127.61.0.2:0",
    "--rpc-addr=",
  ]) as AgentConfig;
  const exit = runAgent(config, { logger: log, stop });
  await waitFor("agent.running", () => log.named("agent.running").length === 1, 5_000, 20);
  fire("TEST");
  equal(await exit, 0);
  equal(log.named("agent.stopping")[0]?.fields.reason, "TEST");
  equal(disposed(), 1);
});

/** A spawner that records what it was asked to start and refuses, as for a missing binary. */
class RefusingSpawner extends Spawner {
  readonly asked: (readonly string[])[] = [];
  override spawn(options: SpawnOptions): never {
    this.asked.push(options.argv);
    throw new SpawnError(`cannot start ${options.argv[0]}: not found`);
  }
}

Deno.test("sidecar: starts a supervised HAProxy with the injected spawner", async () => {
  const log = new MemoryLogger();
  const { stop } = manualStop();
  const spawner = new RefusingSpawner({ clock: systemClock, logger: log });
  const config = parse([
    "sidecar",
    "--node=root-deps-sidecar",
    "--bind=127.61.0.3:0",
    "--rpc-addr=",
    "--insecure",
    "--haproxy-socket=/nonexistent/admin.sock",
    "--haproxy-backend=web",
    "--",
    "haproxy-not-installed",
    "-f",
    "/nonexistent/haproxy.cfg",
  ]) as SidecarConfig;
  equal(await runSidecar(config, { logger: log, stop, spawner }), 1);
  deepStrictEqual(spawner.asked.map((argv) => argv[0]), ["haproxy-not-installed"]);
  match(String(log.named("sidecar.start_failed")[0]?.fields.error), /cannot start haproxy-not/);
});
