/**
 * `serf monitor` and RPC auth, with the real `serf` CLI (0.9 on PATH; run again with
 * `PATH=/opt/shoal-peers/path/serf-0.10:$PATH` for 0.10) against a shoal node's agent RPC.
 */
import assert from "node:assert/strict";
import { systemClock } from "../../lib/clock.ts";
import type { GossipConfig } from "../../lib/config.ts";
import { MemoryLogger } from "../../lib/log/logger.ts";
import { GossipRuntime } from "../../lib/roles/gossip_runtime.ts";
import { freePort } from "../_support/serf_agent.ts";
import { requireSerfBinary, serfCli, spawnSerfCli } from "../_support/serf_cli.ts";
import { denoGossipHost } from "../../lib/roles/gossip_runtime_host.ts";

function config(rpcPort: number, rpcAuth: string | null): GossipConfig {
  return {
    node: "shoal",
    bind: { host: "127.0.0.1", port: freePort() },
    advertise: null,
    join: [],
    tags: new Map(),
    encryptKey: null,
    rpcAddr: { host: "127.0.0.1", port: rpcPort },
    rpcAuth,
    snapshotDir: null,
    profile: "lan",
    reconnectTimeoutMs: 600_000,
    tombstoneTimeoutMs: 600_000,
    metricsAddr: null,
  };
}

async function withNode(
  rpcAuth: string | null,
  fn: (rpc: string, runtime: GossipRuntime) => Promise<void>,
): Promise<void> {
  await requireSerfBinary();
  const rpcPort = freePort();
  const runtime = await GossipRuntime.start(config(rpcPort, rpcAuth), {
    ...denoGossipHost,
    logger: new MemoryLogger(),
    clock: systemClock,
    prng: Math.random,
  });
  try {
    await fn(`127.0.0.1:${rpcPort}`, runtime);
  } finally {
    await runtime.close();
  }
}

/** A WARN line in shoal's log: an RPC client that sends bytes that are not msgpack. */
async function causeWarning(rpc: string): Promise<void> {
  const [host, port] = rpc.split(":");
  const conn = await Deno.connect({ hostname: host!, port: Number(port) });
  await conn.write(Uint8Array.of(0xc1));
  await conn.read(new Uint8Array(16)).catch(() => null); // the server closes on us
  conn.close();
}

/** A DEBUG line: a datagram on the gossip port that is not a memberlist packet. */
async function causeDebug(runtime: GossipRuntime): Promise<void> {
  const { host, port } = runtime.transport.bindAddress;
  const sock = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  await sock.send(Uint8Array.of(0xff, 0xee), { hostname: host, port, transport: "udp" });
  sock.close();
}

const STAMP = String.raw`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d`;

Deno.test("serf monitor (real CLI) streams shoal's log at the level asked for, as serf formats it", async () => {
  await withNode(null, async (rpc, runtime) => {
    const info = spawnSerfCli("monitor", rpc);
    const debug = spawnSerfCli("monitor", rpc, ["-log-level=debug"]);
    const warn = spawnSerfCli("monitor", rpc, ["-log-level=WARN"]);
    try {
      // The recent lines are replayed to a new monitor, as the agent's log buffer does.
      await info.waitForLine(new RegExp(`${STAMP} \\[INFO\\] gossip\\.started .*rpc=${rpc}`));
      await debug.waitForLine(/\[INFO\] gossip\.started/);
      await causeDebug(runtime);
      await causeWarning(rpc);
      // Live lines, filtered per monitor.
      await info.waitForLine(new RegExp(`${STAMP} \\[WARN\\] serf\\.rpc\\.malformed`));
      await debug.waitForLine(/\[DEBUG\] packet\.dropped/);
      await debug.waitForLine(/\[WARN\] serf\.rpc\.malformed/);
      await warn.waitForLine(/\[WARN\] serf\.rpc\.malformed/);
      assert.doesNotMatch(info.output(), /\[DEBUG\]/);
      assert.doesNotMatch(warn.output(), /\[(INFO|DEBUG)\]/);
    } finally {
      // Ctrl-C: the CLI stops its monitor and its event stream and exits 0.
      assert.deepEqual(await Promise.all([info.stop(), debug.stop(), warn.stop()]), [0, 0, 0]);
    }
    const bad = await serfCli("monitor", rpc, ["-log-level=loud"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout + bad.stderr, /Error starting monitor: Unknown log level: LOUD/);
  });
});

Deno.test("serf CLI with -rpc-auth: refused by a node without a key, as serf does", async () => {
  await withNode(null, async (rpc) => {
    const r = await serfCli("members", rpc, ["-rpc-auth=sekret"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /Invalid authentication token/);
    assert.equal((await serfCli("members", rpc)).code, 0);
  });
  await withNode("sekret", async (rpc) => {
    assert.equal((await serfCli("members", rpc, ["-rpc-auth=sekret"])).code, 0);
    const wrong = await serfCli("members", rpc, ["-rpc-auth=nope"]);
    assert.match(wrong.stdout + wrong.stderr, /Invalid authentication token/);
    const none = await serfCli("members", rpc);
    assert.match(none.stdout + none.stderr, /Authentication required/);
  });
});
