/**
 * Every cluster-level `serf` CLI command through shoal's agent RPC, in a real cluster with a
 * `serf agent` (0.9 on PATH; rerun with `PATH=/opt/shoal-peers/path/serf-0.10:$PATH` for 0.10):
 * join, members with filters, reachability, query, event, force-leave -prune and leave.
 * (`rpc_serf_cli.test.ts` covers the single-node commands; `rtt_interop` and `monitor_interop`
 * the coordinate and log commands.)
 */
import assert from "node:assert/strict";
import { systemClock } from "../../lib/clock.ts";
import type { GossipConfig } from "../../lib/config.ts";
import { MemoryLogger } from "../../lib/log/logger.ts";
import { GossipRuntime } from "../../lib/roles/gossip_runtime.ts";
import { freePort, startSerfAgent } from "../_support/serf_agent.ts";
import { waitFor } from "../_support/wait.ts";
import { serfCli } from "../_support/serf_cli.ts";
import { denoGossipHost } from "../../lib/roles/gossip_runtime_host.ts";

function config(rpcPort: number): GossipConfig {
  return {
    node: "shoal",
    bind: { host: "127.0.0.1", port: freePort() },
    advertise: null,
    join: [],
    tags: new Map([["role", "web"]]),
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

const names = (stdout: string) =>
  stdout.trim().split("\n").filter((l) => l !== "").map((l) => l.split(/\s+/)[0]).sort();

Deno.test("serf CLI through shoal's RPC: join, members filters, reachability, query, event, force-leave, leave", async () => {
  const rpcPort = freePort();
  let left = 0;
  const runtime = await GossipRuntime.start(config(rpcPort), {
    ...denoGossipHost,
    logger: new MemoryLogger(),
    clock: systemClock,
    prng: Math.random,
    onRpcLeave: () => left++,
  });
  const real = await startSerfAgent("real", {
    tags: { role: "db" },
    handlers: ["query:hello=cat", "user:deploy=cat"],
  });
  const other = await startSerfAgent("other", { tags: { role: "db" } });
  const rpc = `127.0.0.1:${rpcPort}`;
  try {
    const join = await serfCli("join", rpc, [
      "-replay",
      `127.0.0.1:${real.bindPort}`,
      `127.0.0.1:${other.bindPort}`,
    ]);
    assert.equal(join.code, 0, join.stderr);
    assert.match(join.stdout, /Successfully joined cluster by contacting 2 nodes/);
    await waitFor("real sees other", async () => {
      return (await serfCli("members", real.rpcAddr, ["-status=alive"])).stdout.includes("other");
    });

    const filtered = await serfCli("members", rpc, ["-status=alive", "-name=r.*", "-tag=role=db"]);
    assert.deepEqual(names(filtered.stdout), ["real"]);
    assert.deepEqual(names((await serfCli("members", rpc, ["-tag=role=web"])).stdout), ["shoal"]);

    const reach = await serfCli("reachability", rpc, ["-verbose"]);
    assert.equal(reach.code, 0, reach.stdout + reach.stderr);
    assert.match(reach.stdout, /Total members: 3, live members: 3/);
    for (const n of ["shoal", "real", "other"]) {
      assert.match(reach.stdout, new RegExp(`Ack from '${n}'`));
    }
    assert.match(reach.stdout, /Successfully contacted all live nodes/);

    const q = await serfCli("query", rpc, [
      "-tag=role=db",
      "-node=real",
      "-timeout=1s",
      "hello",
      "q1",
    ]);
    assert.match(q.stdout, /Ack from 'real'/);
    assert.match(q.stdout, /Response from 'real': q1/);
    assert.match(q.stdout, /Total Acks:\s+1/);

    const ev = await serfCli("event", rpc, ["-coalesce=false", "deploy", "v9"]);
    assert.match(ev.stdout, /Event 'deploy' dispatched! Coalescing enabled: false/);
    await waitFor(
      "the agent ran its deploy handler",
      () => /user-event: deploy/.test(real.output()),
    );

    // other leaves; shoal forgets it for good with -prune.
    assert.equal((await serfCli("leave", other.rpcAddr)).code, 0);
    await waitFor("shoal lists other as left", async () => {
      const r = await serfCli("members", rpc, ["-status=left"]);
      return names(r.stdout).includes("other");
    });
    const fl = await serfCli("force-leave", rpc, ["-prune", "other"]);
    assert.equal(fl.code, 0, fl.stderr);
    await waitFor(
      "other pruned",
      async () => !(await serfCli("members", rpc)).stdout.includes("other"),
    );

    // serf leave through our RPC: a graceful leave the agent sees as `left`.
    const leave = await serfCli("leave", rpc);
    assert.equal(leave.code, 0, leave.stderr);
    assert.match(leave.stdout, /Graceful leave complete/);
    assert.equal(left, 1);
    await waitFor("real lists shoal as left", async () => {
      const r = await serfCli("members", real.rpcAddr, ["-status=left"]);
      return names(r.stdout).includes("shoal");
    });
  } finally {
    await runtime.close();
    await real.stop();
    await other.stop();
  }
});
