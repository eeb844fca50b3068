/**
 * End-to-end benchmark (not a test):
 *
 *   deno run -A tests/bench/e2e.ts [tasks=10] [rolling=5] [rate=100]
 *
 * 1. Time to routable: a sidecar supervising HAProxy, then `tasks` tasks started one at a time,
 *    each on its own backend and frontend so a prober (one GET every 5 ms) sees exactly when
 *    HAProxy first routes a request to it. Each interval comes from the processes' own log
 *    timestamps: `shoal task` started → worker ready (`task.ready`) → joined (`task.joined`) →
 *    the sidecar receives the announce (`sidecar.announce`) → the server is added (`haproxy.server.add`) → the first
 *    successful request through HAProxy (prober). Target: routable within 150 ms of readiness.
 * 2. Rolling deploy: `rolling` tasks behind one backend under `rate` requests/s; each is replaced
 *    (SIGTERM to the old task, a new one started, wait until HAProxy has it UP). Target: zero
 *    failed requests.
 *
 * Prints markdown tables. Addresses: 127.91.x.y (the tests use 127.90.x.y).
 */

import { waitFor } from "../_support/serf_agent.ts";
import {
  BACKEND,
  Cluster,
  freePortOn,
  gossipAddr,
  Load,
  upExactly,
  writeHaproxyConfig,
} from "../_support/cluster_e2e.ts";
import { startSidecar, startTasksUp } from "../_support/e2e_setup.ts";
import type { ShoalProcess } from "../_support/shoal_process.ts";
import { probeUntilServed, type Sample, summarise } from "./_e2e_probe.ts";

const TASKS = Number(Deno.args[0] ?? 10);
const ROLLING = Number(Deno.args[1] ?? 5);
const RATE = Number(Deno.args[2] ?? 100);
const HOST = "127.91.0.1";

function tsOf(line: Record<string, unknown>): number {
  return Date.parse(String(line.ts));
}

async function routable(): Promise<Sample[]> {
  const cluster = new Cluster();
  const backends = Array.from({ length: TASKS }, (_, i) => `b${i}`);
  const webs = backends.map(() => `${HOST}:${freePortOn(HOST)}`);
  const files = await writeHaproxyConfig({
    web: `${HOST}:${freePortOn(HOST)}`,
    more: backends.map((backend, i) => ({ backend, web: webs[i]! })),
  });
  const samples: Sample[] = [];
  try {
    const sidecar = await cluster.sidecar({
      name: "sidecar",
      host: HOST,
      files,
      extra: [`--backends=${[BACKEND, ...backends].join(",")}`],
    });
    const join = [await gossipAddr(sidecar)];
    for (const [i, backend] of backends.entries()) {
      const name = `task-${i}`;
      const probe = probeUntilServed(`http://${webs[i]}/`, 15_000);
      const startedMs = Date.now();
      const task = await cluster.task({
        name,
        host: `127.91.1.${10 + i}`,
        join,
        extra: [`--backend=${backend}`],
      });
      const servedMs = await probe;
      samples.push(await sampleOf(name, { task, sidecar, startedMs, servedMs }));
    }
  } finally {
    await cluster.stop();
  }
  return samples;
}

async function sampleOf(
  name: string,
  o: { task: ShoalProcess; sidecar: ShoalProcess; startedMs: number; servedMs: number },
): Promise<Sample> {
  const server = `shoal-${name}`;
  const readyMs = tsOf(await o.task.waitForLog("task.ready"));
  const joinedMs = tsOf(await o.task.waitForLog("task.joined"));
  const sentMs = tsOf(await o.task.waitForLog("task.announce", (l) => Number(l.sidecars) > 0));
  const announcedMs = tsOf(
    await o.sidecar.waitForLog("sidecar.announce", (l) => l.member === name && l.accepted === true),
  );
  const addedMs = tsOf(
    await o.sidecar.waitForLog("haproxy.server.add", (l) => l.server === server),
  );
  return {
    name,
    startToReadyMs: readyMs - o.startedMs,
    readyToJoinedMs: joinedMs - readyMs,
    joinedToSentMs: sentMs - joinedMs,
    sentToAnnounceMs: announcedMs - sentMs,
    announceRetries: o.task.logs().filter((l) => l.event === "task.announce.retry").length,
    announceToAddMs: addedMs - announcedMs,
    addToServedMs: o.servedMs - addedMs,
    readyToServedMs: o.servedMs - readyMs,
  };
}

async function rollingDeploy(): Promise<{ sent: number; failed: number; ms: number }> {
  const setup = await startSidecar(HOST);
  const { cluster, files, hap, join } = setup;
  let load: Load | undefined;
  try {
    const live = Array.from({ length: ROLLING }, (_, i) => `old-${i}`);
    const olds = await startTasksUp(setup, {
      names: live,
      hostOf: (i) => `127.91.2.${10 + i}`,
      upWithinMs: 30_000,
    });
    const t0 = performance.now();
    load = new Load(files.url, { ratePerS: RATE, maxMs: 120_000 });
    for (const [i, proc] of olds.entries()) {
      const name = `new-${i}`;
      proc.kill("SIGTERM");
      await Promise.all([
        proc.status,
        cluster.task({ name, host: `127.91.3.${10 + i}`, join }),
      ]);
      live.splice(live.indexOf(`old-${i}`), 1, name);
      await waitFor(`${name} UP`, () => upExactly(hap, live), 20_000);
    }
    const results = await load.stop();
    return { sent: results.length, failed: load.failures().length, ms: performance.now() - t0 };
  } finally {
    await load?.stop();
    await setup.stop();
  }
}

const version = (await new Deno.Command("haproxy", { args: ["-v"], stdout: "piped" }).output())
  .stdout;
console.log(
  `${new TextDecoder().decode(version).split("\n")[0]}; Deno ${Deno.version.deno}; ` +
    `${navigator.hardwareConcurrency} CPUs\n`,
);
console.log(`Command: deno run -A tests/bench/e2e.ts ${TASKS} ${ROLLING} ${RATE}\n`);
const samples = await routable();
console.log(summarise(samples));
const roll = await rollingDeploy();
console.log(
  `\n| rolling deploy | tasks | rate | requests | failed | duration |\n|---|---:|---:|---:|---:|---:|\n` +
    `| SIGTERM old, start new, wait UP | ${ROLLING} | ${RATE}/s | ${roll.sent} | ${roll.failed} | ` +
    `${(roll.ms / 1000).toFixed(1)} s |`,
);
