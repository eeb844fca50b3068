/**
 * Network coordinates against a real `serf agent` (whichever `serf` is first on PATH: run once
 * more with `PATH=/opt/shoal-peers/path/serf-0.10:$PATH` for serf 0.10): our acks carry our
 * Vivaldi coordinate, theirs update ours, and `serf rtt` works through either RPC.
 */
import assert from "node:assert/strict";
import { systemClock } from "../../lib/clock.ts";
import type { GossipConfig } from "../../lib/config.ts";
import { MemoryLogger } from "../../lib/log/logger.ts";
import { GossipRuntime } from "../../lib/roles/gossip_runtime.ts";
import { RpcClient } from "../../lib/serf/rpc/client.ts";
import { freePort, startSerfAgent } from "../_support/serf_agent.ts";
import { waitFor } from "../_support/wait.ts";
import { serfCli } from "../_support/serf_cli.ts";
import { denoGossipHost } from "../../lib/roles/gossip_runtime_host.ts";

function config(node: string, port: number, rpcPort: number): GossipConfig {
  return {
    node,
    bind: { host: "127.0.0.1", port },
    advertise: null,
    join: [],
    tags: new Map(),
    encryptKey: null,
    rpcAddr: { host: "127.0.0.1", port: rpcPort },
    rpcAuth: null,
    snapshotDir: null,
    profile: "lan",
    reconnectTimeoutMs: 600_000,
    tombstoneTimeoutMs: 600_000,
    metricsAddr: null,
  };
}

/** The estimate `serf rtt` printed, in ms. */
function rttMs(stdout: string, a: string, b: string): number {
  const m = stdout.match(new RegExp(`Estimated ${a} <-> ${b} rtt: ([0-9.]+) ms`));
  assert.ok(m, `unexpected serf rtt output: ${stdout}`);
  return Number(m[1]);
}

Deno.test("interop: serf rtt between a serf agent and a shoal node works through both RPCs", async () => {
  const rpcPort = freePort();
  const runtime = await GossipRuntime.start(config("shoal", freePort(), rpcPort), {
    ...denoGossipHost,
    logger: new MemoryLogger(),
    clock: systemClock,
    prng: Math.random,
  });
  const agent = await startSerfAgent("real");
  const ours = await RpcClient.connect({ host: "127.0.0.1", port: rpcPort });
  const [agentHost, agentPort] = agent.rpcAddr.split(":");
  const theirs = await RpcClient.connect({ host: agentHost!, port: Number(agentPort) });
  try {
    assert.equal(await runtime.join([`127.0.0.1:${agent.bindPort}`]), 1);
    // The agent caches the coordinate we put on our acks: once we have probed it, ours has
    // moved off the origin (error below serf's initial 1.5), and the agent must see that.
    await waitFor("the agent holds our updated coordinate", async () => {
      const c = await theirs.coordinate("shoal");
      return c !== null && c.error < 1.5;
    }, 20_000);
    // We cache the agent's coordinate from its acks, and our own.
    await waitFor("we hold the agent's updated coordinate", async () => {
      const c = await ours.coordinate("real");
      return c !== null && c.error < 1.5 && c.vec.length === 8;
    }, 20_000);
    const self = await ours.coordinate("shoal");
    assert.ok(self && self.error < 1.5, "our own coordinate has moved");

    const rpc = `127.0.0.1:${rpcPort}`;
    for (const [addr, args] of [[rpc, ["shoal", "real"]], [agent.rpcAddr, ["shoal", "real"]]]) {
      const r = await serfCli("rtt", addr as string, args as string[]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const ms = rttMs(r.stdout, "shoal", "real");
      assert.ok(ms > 0 && ms < 100, `loopback estimate ${ms} ms`);
    }
    // One name: the other is the agent's own (read from `stats`).
    const one = await serfCli("rtt", rpc, ["real"]);
    assert.equal(one.code, 0, one.stderr);
    rttMs(one.stdout, "real", "shoal");
    const unknown = await serfCli("rtt", rpc, ["nobody", "shoal"]);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stdout + unknown.stderr, /Could not find a coordinate for node "nobody"/);
    // The agent decoded every coordinate we sent (it only logs the failures).
    assert.doesNotMatch(agent.output(), /coordinate|ping version/i);
  } finally {
    ours.close();
    theirs.close();
    await runtime.close();
    await agent.stop();
  }
});
