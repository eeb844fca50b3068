/**
 * Sidecar replacement benchmark (not a test):
 *
 *   deno run -A tests/bench/replace.ts [tasks=4] [runs=3] [rate=50]
 *
 * HAProxy runs outside the sidecar (started here); `tasks` `shoal task` processes join the
 * sidecar's address; under `rate` requests/s through HAProxy the sidecar is replaced on the same
 * address, with the default `--orphan-grace` (30 s) and no `--join`, so only the tasks' rejoin and
 * the sidecar's learning bring them back:
 *
 * - graceful: SIGTERM, the new sidecar has a new node name;
 * - kill+5s: SIGKILL, restarted 5 s later (the tasks have marked it failed) with the same name;
 * - kill: SIGKILL, restarted at once with the same name.
 *
 * Measured per run: from the new sidecar's start (`gossip.started`) until every task's announce
 * was accepted by it (rejoin time, from the sidecar's log timestamps), failed requests, and
 * moments a healthy server was not UP in HAProxy (polled every 50 ms). Prints markdown tables.
 * Addresses: 127.91.8.x.
 */

import { waitFor } from "../_support/serf_agent.ts";
import type { ShoalProcess } from "../_support/shoal_process.ts";
import { watchUp } from "../_support/up_watch.ts";
import {
  BACKEND,
  Cluster,
  freePortOn,
  gossipAddr,
  Load,
  upExactly,
} from "../_support/cluster_e2e.ts";
import { startExternalHaproxy } from "../_support/e2e_setup.ts";

const TASKS = Number(Deno.args[0] ?? 4);
const RUNS = Number(Deno.args[1] ?? 3);
const RATE = Number(Deno.args[2] ?? 50);
const HOST = "127.91.8.1";

interface Case {
  readonly name: string;
  readonly newName: boolean;
  stop(old: ShoalProcess): Promise<void>;
}

const CASES: Case[] = [
  {
    name: "graceful stop, new name",
    newName: true,
    stop: async (p) => (p.kill("SIGTERM"), void await p.status),
  },
  {
    name: "SIGKILL, same name after 5 s",
    newName: false,
    stop: async (p) => {
      p.kill("SIGKILL");
      await p.status;
      await new Promise((r) => setTimeout(r, 5_000));
    },
  },
  {
    name: "SIGKILL, same name at once",
    newName: false,
    stop: async (p) => (p.kill("SIGKILL"), void await p.status),
  },
];

interface Run {
  readonly rejoinMs: number;
  readonly requests: number;
  readonly failed: number;
  readonly gaps: number;
}

async function once(c: Case, run: number): Promise<Run> {
  const cluster = new Cluster();
  const { haproxy: hap, files, reader } = await startExternalHaproxy({
    dirPrefix: "shoal-bench-replace-",
  });
  const names = Array.from({ length: TASKS }, (_, i) => `task-${i}`);
  try {
    const port = freePortOn(HOST);
    const sidecar = { host: HOST, port, files, supervise: false };
    const first = await cluster.sidecar({ ...sidecar, name: `sidecar-${run}` });
    const join = [await gossipAddr(first)];
    await Promise.all(
      names.map((name, i) => cluster.task({ name, host: `127.91.8.${11 + i}`, join })),
    );
    await waitFor("servers UP", () => upExactly(reader, names), 30_000);
    const load = new Load(hap.url(BACKEND), { ratePerS: RATE, maxMs: 60_000 });
    const watch = watchUp(() => upExactly(reader, names));
    await c.stop(first);
    const second = await cluster.sidecar({
      ...sidecar,
      name: c.newName ? `sidecar-${run}-new` : `sidecar-${run}`,
    });
    const startedMs = Date.parse(String((await second.waitForLog("gossip.started")).ts));
    let lastMs = startedMs;
    for (const node of names) {
      const l = await second.waitForLog(
        "sidecar.announce",
        (l) => l.member === node && l.accepted === true,
        30_000,
      );
      lastMs = Math.max(lastMs, Date.parse(String(l.ts)));
    }
    await new Promise((r) => setTimeout(r, 2_000)); // a little traffic after
    await watch.stop();
    const results = await load.stop();
    return {
      rejoinMs: lastMs - startedMs,
      requests: results.length,
      failed: load.failures().length,
      gaps: watch.gaps.length,
    };
  } finally {
    await reader.close();
    await cluster.stop();
    await hap.stop();
  }
}

console.log(
  `| case | runs | tasks | rejoin all: median (ms) | max (ms) | requests | failed | not-UP polls |`,
);
console.log(
  `| ---- | ---: | ----: | ----------------------: | -------: | -------: | -----: | -----------: |`,
);
for (const c of CASES) {
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await once(c, i));
  const ms = runs.map((r) => r.rejoinMs).sort((a, b) => a - b);
  const sum = (f: (r: Run) => number) => runs.reduce((a, r) => a + f(r), 0);
  console.log(
    `| ${c.name} | ${RUNS} | ${TASKS} | ${ms[Math.floor(ms.length / 2)]} | ${ms.at(-1)} | ${
      sum((r) => r.requests)
    } | ${sum((r) => r.failed)} | ${sum((r) => r.gaps)} |`,
  );
}
