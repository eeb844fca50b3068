/**
 * A sidecar with `--join` that loses every peer joins again by itself (issue 12, "a sidecar with
 * join targets does the same"): its only peer, a real `serf agent`, is SIGKILLed and restarted on
 * the same address with an empty member list; the sidecar is back in the agent's members within
 * seconds, not after serf's 30 s reconnect interval.
 */

import { HaproxyProcess } from "../_support/haproxy.ts";
import { freePort, type SerfAgent, startSerfAgent, waitFor } from "../_support/serf_agent.ts";
import { serfCli } from "../_support/serf_cli.ts";
import { type ShoalProcess, startShoal } from "../_support/shoal_process.ts";

const PEER = "127.0.7.61";

Deno.test("a sidecar left without peers rejoins its --join target", async () => {
  const hap = await HaproxyProcess.start();
  const port = freePort();
  const peer = () =>
    startSerfAgent("peer-r", {
      tags: { role: "task", state: "ready" },
      extraArgs: [`-bind=${PEER}:${port}`],
    });
  let agent: SerfAgent | undefined = await peer();
  let sidecar: ShoalProcess | undefined;
  try {
    sidecar = startShoal([
      "sidecar",
      "--node=sidecar-r",
      `--bind=127.0.0.1:${freePort()}`,
      "--rpc-addr=",
      `--join=${PEER}:${port}`,
      `--haproxy-socket=${hap.socketPath}`,
      "--haproxy-backend=be_app",
      "--profile=local",
    ]);
    await sidecar.waitForLog("gossip.joined");
    await agent.stop();
    await sidecar.waitForLog("member.failed", undefined, 15_000); // no alive peer left
    const restartedAt = Date.now();
    agent = await peer();
    const rpc = agent.rpcAddr;
    await waitFor(
      "the sidecar back in the restarted agent's members",
      async () => /sidecar-r\s+\S+\s+alive/.test((await serfCli("members", rpc, [], 2000)).stdout),
      10_000,
      100,
    );
    // Through the rejoin loop (serf's reconnect would take up to 30 s).
    await sidecar.waitForLog("sidecar.rejoin", (l) => Date.parse(String(l.ts)) > restartedAt);
  } finally {
    sidecar?.kill("SIGTERM");
    await sidecar?.status;
    await agent?.stop();
    await hap.stop();
  }
});
