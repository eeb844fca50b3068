/**
 * Restart and reload benchmark (not a test):
 *
 *   deno task bench:restarts [haproxy=haproxy] [seconds=8]
 *
 * Three tasks behind one backend, `wrk -t1 -c16` through HAProxy for `seconds`, and one event two
 * seconds in, for each mode — `dynamic` (`add server`, today's default config) and `slots`
 * (`server-template` slots + `--server-state-file`, examples/haproxy/haproxy.cfg):
 * - sidecar SIGKILL, restarted 5 s later with the same flags, address and name (HAProxy not
 *   supervised; the sidecar was the first member, so it has no --join), as in issue 19; the
 *   sidecars run with `--orphan-grace=10s` and this case's load lasts `seconds` + 20 s, so an
 *   orphan removal shows;
 * - SIGUSR2 to the HAProxy master (as an operator or the official image does);
 * - SIGHUP to the sidecar (forwarded to HAProxy after the state file is saved);
 * - HAProxy SIGKILLed (master and workers) under the sidecar, which starts it again.
 * For each: requests, failed requests (non-2xx answers; socket errors: connections refused or
 * closed under a request), and how long not every task was
 * UP in HAProxy (polled every 20 ms) — for the HAProxy kill, from the new HAProxy answering.
 *
 * Prints a markdown table. Addresses: 127.91.19.x (the tests use 127.90.x.y).
 */

import { waitFor } from "../_support/serf_agent.ts";
import {
  children,
  Cluster,
  freePortOn,
  gossipAddr,
  type HaproxyFiles,
  haproxyReader,
  servers,
  SLOT_MODE,
  writeHaproxyConfig,
} from "../_support/cluster_e2e.ts";
import type { ShoalProcess } from "../_support/shoal_process.ts";

const BIN = Deno.args[0] ?? "haproxy";
const SECONDS = Number(Deno.args[1] ?? 8);
const HOST = "127.91.19.1";
const TASKS = ["task-1", "task-2", "task-3"];

type Mode = "dynamic" | "slots";
type Case =
  | "sidecar SIGKILL+restart"
  | "SIGUSR2 to master"
  | "SIGHUP to sidecar"
  | "HAProxy killed";

async function files(mode: Mode): Promise<HaproxyFiles> {
  const web = `127.0.0.1:${freePortOn("127.0.0.1")}`;
  if (mode === "dynamic") return await writeHaproxyConfig({ web });
  return await writeHaproxyConfig({ web, ...SLOT_MODE });
}

async function upCount(reader: ReturnType<typeof haproxyReader>): Promise<number> {
  return (await servers(reader)).filter((r) => r.status.startsWith("UP")).length;
}

/** Polls until stopped; returns the total time not every task was UP (ms) and the longest gap. */
function watch(reader: ReturnType<typeof haproxyReader>) {
  let stopped = false;
  let downMs = 0;
  let since: number | undefined;
  const done = (async () => {
    while (!stopped) {
      const ok = (await upCount(reader).catch(() => 0)) === TASKS.length;
      const now = performance.now();
      if (!ok && since === undefined) since = now;
      if (ok && since !== undefined) (downMs += now - since, since = undefined);
      await new Promise((r) => setTimeout(r, 20)); // the poll's pace
    }
    if (since !== undefined) downMs += performance.now() - since;
  })();
  return { stop: async () => (stopped = true, await done, downMs) };
}

async function wrk(
  url: string,
  seconds: number,
): Promise<{ requests: number; non2xx: number; socket: number }> {
  const out = await new Deno.Command("wrk", {
    args: ["-t1", "-c16", `-d${seconds}s`, "--timeout", "3s", url],
    stdout: "piped",
    stderr: "null",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const errors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return { requests, non2xx, socket: errors };
}

async function run(mode: Mode, what: Case) {
  const cluster = new Cluster();
  const f = await files(mode);
  const external = what === "sidecar SIGKILL+restart";
  let hap: Deno.ChildProcess | undefined;
  const port = freePortOn(HOST);
  const extra = [
    "--orphan-grace=10s",
    ...(mode === "slots" ? [`--server-state-file=${f.dir}/server-state`] : []),
  ];
  const reader = haproxyReader(f.socket);
  try {
    if (external) {
      hap = new Deno.Command(BIN, {
        args: ["-W", "-db", "-f", f.cfg],
        stdout: "null",
        stderr: "null",
      })
        .spawn();
      await waitFor(
        "HAProxy",
        async () => (await reader.info().catch(() => undefined)) !== undefined,
      );
    }
    const opts = { name: "sidecar", host: HOST, port, files: f, haproxy: BIN, extra };
    let sidecar: ShoalProcess = await cluster.sidecar({ ...opts, supervise: !external });
    const join = [await gossipAddr(sidecar)];
    await Promise.all(
      TASKS.map((name, i) => cluster.task({ name, host: `127.91.19.${11 + i}`, join })),
    );
    await waitFor("three servers UP", async () => (await upCount(reader)) === 3, 20_000);
    await new Promise((r) => setTimeout(r, 1200)); // the state file has them UP
    const load = wrk(f.url, external ? SECONDS + 20 : SECONDS);
    await new Promise((r) => setTimeout(r, 2000));
    const w = watch(reader);
    let fromMs = performance.now();
    if (what === "sidecar SIGKILL+restart") {
      sidecar.kill("SIGKILL");
      await sidecar.status;
      await new Promise((r) => setTimeout(r, 5000));
      sidecar = await cluster.sidecar({ ...opts, supervise: false });
    } else if (what === "SIGUSR2 to master") {
      Deno.kill(children(sidecar.pid)[0]!, "SIGUSR2");
    } else if (what === "SIGHUP to sidecar") {
      sidecar.kill("SIGHUP");
    } else {
      const master = children(sidecar.pid)[0]!;
      for (const pid of [master, ...children(master)]) Deno.kill(pid, "SIGKILL");
      await sidecar.waitForLog("haproxy.process.restarted", undefined, 10_000);
      await waitFor(
        "HAProxy",
        async () => (await reader.info().catch(() => undefined)) !== undefined,
        10_000,
        10,
      );
      fromMs = performance.now();
    }
    let backMs = 0;
    if (what === "HAProxy killed") {
      await waitFor("all UP", async () => (await upCount(reader)) === 3, 30_000, 20);
      backMs = performance.now() - fromMs;
    }
    const result = await load;
    const downMs = await w.stop();
    const upAtEnd = await upCount(reader);
    return { ...result, backMs: what === "HAProxy killed" ? backMs : downMs, upAtEnd };
  } finally {
    await cluster.stop();
    if (hap) {
      for (const pid of [hap.pid, ...children(hap.pid)]) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
      await hap.status;
    }
  }
}

const version = new TextDecoder().decode(
  (await new Deno.Command(BIN, { args: ["-v"], stdout: "piped" }).output()).stdout,
).split("\n")[0];
console.log(`\n${version}, wrk -t1 -c16 -d${SECONDS}s, event at 2 s\n`);
console.log("| case | mode | requests | non-2xx | socket errors | not all UP (ms) | UP at end |");
console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
const cases: Case[] = [
  "sidecar SIGKILL+restart",
  "SIGUSR2 to master",
  "SIGHUP to sidecar",
  "HAProxy killed",
];
for (const what of cases) {
  for (const mode of ["dynamic", "slots"] as const) {
    const r = await run(mode, what);
    const label = what === "HAProxy killed"
      ? `${r.backMs.toFixed(0)} (from answering)`
      : r.backMs.toFixed(0);
    console.log(
      `| ${what} | ${mode} | ${r.requests} | ${r.non2xx} | ${r.socket} | ${label} | ${r.upAtEnd}/3 |`,
    );
  }
}
