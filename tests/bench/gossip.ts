/**
 * Benchmark of the gossip layer against real serf (not a test), shoal issue 3:
 *
 *   deno run -A tests/bench/gossip.ts [--nodes 5,20] [--runs 8] [--window-s 30] [--settle-s 30]
 *
 * For each size N it starts N real `shoal agent` processes and, side by side (same machine
 * conditions, same moments), N real `serf agent` processes started the same way: each on its own
 * loopback address (127.77.<cluster>.<i>) and a free port, LAN profile, joined through node 0,
 * the observer, whose agent RPC on 127.0.0.1 is polled with the real `serf members` CLI (shoal
 * serves serf's RPC). Both clusters are measured the same way:
 *
 * - bandwidth: kernel byte counters (nftables, output hook on loopback) on every packet a node
 *   sends from its address plus every TCP packet sent to a node address, over a fixed window in
 *   steady state, divided by N: IP bytes per second per node, UDP and TCP. The default window,
 *   30 s, is the LAN push/pull interval (for N <= 32) and it opens 30 s after convergence: serf
 *   runs its first periodic push/pull 30–60 s after start, shoal 0–30 s, so from then on each
 *   node's push/pull falls into any 30 s window exactly once. Shorter or earlier windows miss
 *   serf's push/pulls and flatter it.
 * - failure detection: SIGKILL a non-observer node in each cluster and poll each observer every
 *   50 ms until it lists the node `failed`; then a fresh node joins each cluster so the next run
 *   sees N live members again.
 *
 * Needs root, `nft` (`apt-get install -y nftables`) and `serf` (`apt-get install -y serf`).
 * Every process and the nftables table are removed on exit, error or Ctrl-C.
 */

import { parseArgs } from "node:util";
import { GossipCluster, members, procUsage } from "./_gossip_nodes.ts";
import { clusterDelta, NftCounters, udpBytesPerAddr } from "./_nft_counter.ts";
import { type ClusterResult, detailTable, machineNotes, summaryTable } from "./_gossip_report.ts";

/** Longest wait for a killed node to be listed `failed` (LAN max suspicion at n = 20 is ~31 s). */
const DETECTION_DEADLINE_MS = 60_000;
/** Poll period of the observer's member list while waiting for `failed`. */
const POLL_MS = 50;
/** Failed `serf members` calls tolerated per cluster (each is reported) before giving up. */
const POLL_FAILURES_MAX = 10;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    nodes: { type: "string", default: "5,20" },
    runs: { type: "string", default: "8" },
    "window-s": { type: "string", default: "30" },
    "settle-s": { type: "string", default: "30" },
  },
});
const sizes = values.nodes.split(",").map(Number);
const runs = Number(values.runs);
const windowMs = Number(values["window-s"]) * 1000;
const settleMs = Number(values["settle-s"]) * 1000;
if (
  sizes.some((n) => !Number.isInteger(n) || n < 3 || n > 200) || !(runs >= 1) || !(windowMs > 0)
) {
  console.error("Usage: gossip.ts [--nodes 5,20] [--runs N>=1] [--window-s S>0] [--settle-s S]");
  Deno.exit(2);
}

const clusters = new Set<GossipCluster>();
const tables = new Set<NftCounters>();

async function cleanup(): Promise<void> {
  await Promise.all([...tables].map((t) => t.remove()));
  await Promise.all([...clusters].map((c) => c.stop()));
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Steady-state traffic of the cluster's live nodes over `windowMs`. */
async function measureTraffic(c: GossipCluster, tag: string) {
  const t = await NftCounters.create(`shoal_bench_${Deno.pid}_${tag}`, c.live().map((n) => n.addr));
  tables.add(t);
  try {
    const pids = c.live().map((n) => n.pid);
    const usage0 = await Promise.all(pids.map(procUsage));
    const before = await t.read();
    const t0 = performance.now();
    await delay(windowMs); // the measurement window itself, not a readiness wait
    const after = await t.read();
    const elapsedMs = performance.now() - t0;
    const usage1 = await Promise.all(pids.map(procUsage));
    const perNode = udpBytesPerAddr(before, after).map((b) => b / (elapsedMs / 1000));
    const cpuMs = usage1.reduce((sum, u, i) => sum + (u?.cpuMs ?? 0) - (usage0[i]?.cpuMs ?? 0), 0);
    const rss = usage1.reduce((sum, u) => sum + (u?.rssBytes ?? 0), 0);
    return {
      traffic: clusterDelta(before, after),
      elapsedMs,
      perNode,
      cpuPct: (100 * cpuMs) / elapsedMs / pids.length,
      rssMb: rss / pids.length / 1e6,
    };
  } finally {
    await t.remove();
    tables.delete(t);
  }
}

/** How the observer's RPC behaved while it was polled. */
interface PollStats {
  failures: number;
  slowestMs: number;
}

/** One `serf members` poll: the victim's status, or null when the CLI failed (counted). */
async function pollStatus(c: GossipCluster, victim: string, stats: PollStats) {
  const t0 = performance.now();
  try {
    return (await members(c.rpcAddr)).find((m) => m.name === victim)?.status ?? "absent";
  } catch (e) {
    if (++stats.failures > POLL_FAILURES_MAX) throw e;
    console.error(`${c.impl}: poll failed (${stats.failures}): ${(e as Error).message}`);
    return null;
  } finally {
    stats.slowestMs = Math.max(stats.slowestMs, performance.now() - t0);
  }
}

/** Kills one non-observer node and times how long until the observer lists it `failed`. */
async function detectOnce(c: GossipCluster, stats: PollStats): Promise<number> {
  const victim = c.live().find((n) => n !== c.observer)!;
  const t0 = performance.now();
  await c.kill(victim);
  while (performance.now() - t0 < DETECTION_DEADLINE_MS) {
    const next = performance.now() + POLL_MS;
    if (await pollStatus(c, victim.name, stats) === "failed") return performance.now() - t0;
    await delay(Math.max(0, next - performance.now()));
  }
  throw new Error(`${c.impl}: ${victim.name} not listed failed within ${DETECTION_DEADLINE_MS} ms`);
}

/** Detection runs on both clusters at once: kill one node in each, time both, replace both. */
async function detectBoth(pair: readonly GossipCluster[], size: number) {
  const out = pair.map(() => ({ ms: [] as number[], poll: { failures: 0, slowestMs: 0 } }));
  for (let r = 0; r < runs; r++) {
    const ms = await Promise.all(pair.map((c, i) => detectOnce(c, out[i]!.poll)));
    ms.forEach((m, i) => out[i]!.ms.push(m));
    const line = pair.map((c, i) => `${c.impl} ${ms[i]!.toFixed(0)} ms`).join(", ");
    console.error(`x${size} run ${r + 1}: ${line}`);
    if (r + 1 < runs) await Promise.all(pair.map((c) => c.replace(30_000)));
  }
  return out;
}

/**
 * One size: a shoal and a serf cluster side by side (same machine conditions), the same
 * steady-state window for both, then simultaneous detection runs.
 */
async function benchSize(size: number, index: number): Promise<ClusterResult[]> {
  const pair = (["shoal", "serf"] as const).map((impl, i) =>
    new GossipCluster(impl, `127.77.${2 * index + i}`)
  );
  pair.forEach((c) => clusters.add(c));
  try {
    const t0 = performance.now();
    await Promise.all(pair.map((c) => c.start(size, 30_000 + size * 2_000)));
    const up = ((performance.now() - t0) / 1000).toFixed(1);
    console.error(`x${size}: both clusters converged after ${up} s; settling ${settleMs} ms`);
    await delay(settleMs); // steady state: every node's first periodic push/pull is behind us
    const traffic = await Promise.all(pair.map((c, i) => measureTraffic(c, `${index}_${i}`)));
    await Promise.all(pair.map((c) => c.awaitAlive(5_000)));
    const detection = await detectBoth(pair, size);
    return pair.map((c, i) => ({
      size,
      impl: c.impl,
      detectionMs: detection[i]!.ms,
      pollFailures: detection[i]!.poll.failures,
      slowestPollMs: detection[i]!.poll.slowestMs,
      traffic: traffic[i]!.traffic,
      windowMs: traffic[i]!.elapsedMs,
      udpBytesPerSecByNode: traffic[i]!.perNode,
      cpuPct: traffic[i]!.cpuPct,
      rssMb: traffic[i]!.rssMb,
    }));
  } finally {
    await Promise.all(pair.map((c) => c.stop()));
    pair.forEach((c) => clusters.delete(c));
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const notes = await machineNotes();
  const results: ClusterResult[] = [];
  for (const [index, size] of sizes.entries()) results.push(...await benchSize(size, index + 1));
  const cmd = `deno run -A tests/bench/gossip.ts ${Deno.args.join(" ")}`.trim();
  console.log(`Command: \`${cmd}\`\n`);
  console.log(`Machine: ${notes}\n`);
  console.log(summaryTable(results) + "\n");
  console.log(detailTable(results) + "\n");
  console.log(
    `Window ${windowMs / 1000} s after ${settleMs / 1000} s settling; bytes are IP bytes on ` +
      `loopback (headers included) of all gossip UDP + TCP, divided by N. Detection: SIGKILL to ` +
      `\`failed\` on the observer, polled every ${POLL_MS} ms with \`serf members\`; a fresh ` +
      `node replaces each victim. Total run ${
        ((performance.now() - started) / 1000).toFixed(0)
      } s.`,
  );
}

const onSignal = () => {
  console.error("interrupted; cleaning up");
  cleanup().finally(() => Deno.exit(130));
};
Deno.addSignalListener("SIGINT", onSignal);
Deno.addSignalListener("SIGTERM", onSignal);
try {
  await main();
} finally {
  await cleanup();
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
}
