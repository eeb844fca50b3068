/**
 * Scale benchmark (not a test): one `shoal sidecar` supervising a real HAProxy registers many
 * tasks, then drains a batch of them at once.
 *
 *   deno task bench:scale [tasks=1000] [drain=200] [real=0] [idle_s=20] [--swarm-procs=N]
 *     [--real-worker=python|deno] [--join-rate=10]
 *
 * The tasks: `real` real `shoal task` processes (each with a worker: the peers' Python HTTP
 * worker by default, the Deno demo worker with `--real-worker=deno`), and the rest a swarm of our
 * gossip nodes acting as Go-style tasks (`_task_swarm.ts`: `announce` with the protobuf
 * `AnnounceRequest`, answers to `solicit`, `depart` with a drain budget), hosted by N generator
 * processes (`_scale_gen.ts`, N = `--swarm-procs`, default 1 per 150 members), each with its own
 * event loop. They join in two steps, to 100 and to `tasks`; after each step the benchmark reports
 * how long after the last accepted announce every server was UP in HAProxy (`show stat` on its
 * admin socket), the sidecar's RSS, its CPU over the step and while idle. Finally `drain` swarm
 * tasks depart at the same moment with a 10 s budget each: every depart must be answered within
 * it, and their servers must be gone from HAProxy by then. Each step also prints where the
 * sidecar's memory is (`_smaps.ts`) and, with `SCALE_HEAP=host:port` and
 * `SCALE_DENO_FLAGS=--inspect=host:port`, a summary of its V8 heap (`_heap.ts`). Addresses: 127.95.x.y (swarm),
 * 127.96.0.x (sidecar, real tasks).
 *
 * @module
 */

import { Cluster, freePortOn, gossipAddr, writeHaproxyConfig } from "../_support/cluster_e2e.ts";
import { goWorker, peersDir } from "../_support/go_shoal.ts";
import { serverNameFor } from "../../lib/haproxy/names.ts";
import { procUsage } from "./_gossip_nodes.ts";
import {
  allGone,
  allUp,
  eventCounts,
  idleCpuPerMin,
  rssMb,
  serverStatus,
} from "./_scale_haproxy.ts";
import { SwarmProcs } from "./_scale_procs.ts";
import { formatHeapReport, heapReport } from "./_heap.ts";
import { memoryParts } from "./_smaps.ts";
import { pool } from "./_task_swarm.ts";

const flags = new Map<string, string>();
const positional: string[] = [];
for (let i = 0; i < Deno.args.length; i++) {
  const a = Deno.args[i]!;
  if (!a.startsWith("--")) positional.push(a);
  else if (a.includes("=")) flags.set(a.slice(2, a.indexOf("=")), a.slice(a.indexOf("=") + 1));
  else flags.set(a.slice(2), Deno.args[++i] ?? "");
}
const TOTAL = Number(positional[0] ?? 1000);
const DRAIN = Number(positional[1] ?? 200);
const REAL = Number(positional[2] ?? 0);
const IDLE_S = Number(positional[3] ?? 20);
const SWARM = TOTAL - REAL;
const PROCS = Number(flags.get("swarm-procs") ?? Math.max(1, Math.ceil(SWARM / 150)));
const REAL_WORKER = flags.get("real-worker") ?? (peersDir() ? "python" : "deno");
/** Swarm members started per second (`--join-rate`; 0: as fast as they join). */
const JOIN_RATE = Number(flags.get("join-rate") ?? 10);
const HOST = "127.96.0.1";
const SWARM_NET = 95;
const DRAIN_BUDGET_MS = 10_000;
const UP_DEADLINE_MS = Number(Deno.env.get("SCALE_UP_DEADLINE_MS") ?? 120_000);

/**
 * Datagrams the kernel dropped because a UDP socket's receive buffer was full (`RcvbufErrors` of
 * `/proc/net/snmp`), over every socket of this network namespace: the sidecar's and the swarm's.
 */
async function udpRcvbufErrors(): Promise<number> {
  const lines = (await Deno.readTextFile("/proc/net/snmp")).split("\n").filter((l) =>
    l.startsWith("Udp: ")
  );
  const [names, values] = lines.map((l) => l.split(" ").slice(1));
  return Number(values?.[names?.indexOf("RcvbufErrors") ?? -1] ?? NaN);
}

/** Datagrams dropped so far by the UDP socket bound to `addr` (`host:port`, IPv4), from `/proc/net/udp`. */
async function udpSocketDrops(addr: string): Promise<number> {
  const [host, port] = addr.split(":");
  const ip = host!.split(".").map((b) => Number(b).toString(16).padStart(2, "0").toUpperCase())
    .reverse().join("");
  const local = `${ip}:${Number(port).toString(16).padStart(4, "0").toUpperCase()}`;
  for (const line of (await Deno.readTextFile("/proc/net/udp")).split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === local) return Number(f[12]);
  }
  return NaN;
}

/** Where `pid`'s memory is, by mapping (`_smaps.ts`), as one line. */
async function memoryNote(pid: number): Promise<string> {
  const p = await memoryParts(pid);
  return `binary ${p.binaryFile.toFixed(1)} file + ${p.binaryAnon.toFixed(1)} anon, malloc ` +
    `${p.malloc.toFixed(1)}, other anon ${p.anonMaps.toFixed(1)}, libraries ${p.files.toFixed(1)}`;
}

/** The sidecar's V8 heap summary over its inspector at `SCALE_HEAP` (host:port), if set. */
async function sidecarHeap(): Promise<string | undefined> {
  const at = Deno.env.get("SCALE_HEAP");
  if (!at) return undefined;
  const [host, port] = at.split(":");
  return formatHeapReport(await heapReport(host!, Number(port)));
}

async function cpuS(pid: number): Promise<number> {
  return ((await procUsage(pid))?.cpuMs ?? NaN) / 1000;
}

async function main(): Promise<void> {
  const lines = [
    `tasks=${TOTAL} (real ${REAL}, ${REAL_WORKER} workers; swarm ${SWARM} in ${PROCS} ` +
    `processes, ${
      Deno.env.get("SCALE_SWARM_PROFILE") ?? "lan"
    } timers, ${JOIN_RATE} joins/s) drain=${DRAIN} ` +
    `idle=${IDLE_S}s, deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores, ` +
    `load ${Deno.loadavg().map((l) => l.toFixed(1)).join(" ")}`,
    "",
    "| step | servers UP | UP after last announce | sidecar RSS MB | sidecar CPU s over step | " +
    "sidecar CPU s / idle min |",
    "| ---- | ---------: | ---------------------: | -------------: | ----------------------: | " +
    "-----------------------: |",
  ];
  const notes: string[] = [];
  let sidecarLogs = (): Record<string, unknown>[] => [];
  // SCALE_DENO_FLAGS: `deno run` flags of the shoal processes, e.g. --inspect=127.96.0.250:9229
  const runFlags = (Deno.env.get("SCALE_DENO_FLAGS") ?? "").split(" ").filter((f) => f !== "");
  // SCALE_SHOAL_ENV: more environment of the shoal processes, e.g. MALLOC_ARENA_MAX=2,K=V
  const shoalEnv = Object.fromEntries(
    (Deno.env.get("SCALE_SHOAL_ENV") ?? "").split(",").filter((kv) => kv.includes("="))
      .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  );
  const cluster = new Cluster({ env: { SHOAL_LOG_LEVEL: "info", ...shoalEnv }, runFlags });
  // SCALE_GEN_FLAGS: `deno run` flags of the generators, e.g. --cpu-prof --cpu-prof-dir=/tmp/p
  const genFlags = (Deno.env.get("SCALE_GEN_FLAGS") ?? "").split(" ").filter((f) => f !== "");
  const swarm = new SwarmProcs(SWARM > 0 ? PROCS : 0, SWARM_NET, genFlags);
  const files = await writeHaproxyConfig({ web: `${HOST}:${freePortOn(HOST)}` });
  // ^C: the sidecar and its HAProxy are in their own process group, so stop them ourselves.
  Deno.addSignalListener("SIGINT", () => {
    swarm.kill();
    void cluster.stop().finally(() => Deno.exit(130));
  });
  try {
    const sidecar = await cluster.sidecar({ name: "sidecar", host: HOST, files, extra: [] });
    sidecarLogs = () => sidecar.logs();
    const join = await gossipAddr(sidecar);
    let realDone = 0;
    for (const target of [...new Set([Math.min(100, TOTAL), TOTAL])]) {
      const cpu0 = await cpuS(sidecar.pid);
      const drops0 = await udpRcvbufErrors();
      let lastAcceptedAt = 0;
      const reals = Array.from(
        { length: Math.max(0, Math.min(REAL, target) - realDone) },
        (_, k) => realDone + k,
      );
      const t0 = performance.now();
      await pool(reals, 4, async (i) => {
        const name = `real-${i}`;
        await cluster.task({
          name,
          host: `127.96.${Math.floor(i / 200)}.${2 + (i % 200)}`,
          join: [join],
          metrics: false,
          ...(REAL_WORKER === "python" ? { worker: goWorker("", name) } : {}),
        });
        lastAcceptedAt = Math.max(lastAcceptedAt, Date.now());
      });
      realDone += reals.length;
      if (reals.length > 0) {
        notes.push(
          `step ${target}: ${reals.length} real tasks started and announced in ` +
            `${((performance.now() - t0) / 1000).toFixed(1)} s`,
        );
      }
      const grow = target - realDone - swarm.size;
      if (grow > 0) {
        const t1 = performance.now();
        const g = await swarm.grow(grow, join, JOIN_RATE);
        lastAcceptedAt = Math.max(lastAcceptedAt, g.lastAcceptedAt);
        const refused = [...g.refusals].map(([k, v]) => `${v}× ${k}`).join("; ");
        notes.push(
          `step ${target}: ${g.names.length} swarm members joined and announced in ` +
            `${((performance.now() - t1) / 1000).toFixed(1)} s (${g.joinRetries} joins retried ` +
            `so far, ${g.rounds} announce rounds), generators: worst loop lag ` +
            `${g.worstLagMs} ms, ${g.rssMb.toFixed(0)} MB RSS and ${
              g.cpuS.toFixed(0)
            } CPU s so far ` +
            `in all` +
            (refused ? `; not accepted at first: ${refused}` : ""),
        );
        if (g.failed.length > 0) {
          throw new Error(`never accepted: ${g.failed.join(",")}; ${refused}`);
        }
      }
      const upMs = await allUp(files.socket, target, lastAcceptedAt, UP_DEADLINE_MS);
      const stepCpu = await cpuS(sidecar.pid) - cpu0;
      await new Promise((r) => setTimeout(r, 5_000));
      const g0 = await swarm.health();
      const cpu = await idleCpuPerMin(sidecar.pid, IDLE_S);
      const g1 = await swarm.health();
      notes.push(
        `step ${target} idle: generators ${((g1.cpuS - g0.cpuS) * 60 / IDLE_S).toFixed(1)} CPU ` +
          `s / min in all (${((g1.cpuS - g0.cpuS) * 60 / IDLE_S / swarm.size).toFixed(3)} per ` +
          `member), worst loop lag ${g1.lagMs} ms, ${g1.rssMb.toFixed(0)} MB RSS`,
      );
      notes.push(
        `step ${target}: ${(await udpRcvbufErrors()) - drops0} UDP datagrams dropped by full ` +
          `receive buffers over the step (any socket), the sidecar's socket ${await udpSocketDrops(
            join,
          )} so far`,
      );
      notes.push(`step ${target} sidecar memory (MB): ${await memoryNote(sidecar.pid)}`);
      const rss = await rssMb(sidecar.pid);
      // SCALE_HEAP=host:port: the sidecar's inspector (SCALE_DENO_FLAGS=--inspect=host:port), at
      // the last step only: serialising a snapshot leaves the process's malloc arenas grown.
      const heap = target === TOTAL ? await sidecarHeap() : undefined;
      if (heap) notes.push(`step ${target} sidecar ${heap}`);
      const row = `| ${target} tasks | ${target} | ${(upMs / 1000).toFixed(2)} s | ` +
        `${rss.toFixed(1)} | ${stepCpu.toFixed(1)} | ${cpu.toFixed(3)} |`;
      lines.push(row);
      console.error(`${row} ${notes.at(-1)}`); // kept if a later step fails
    }
    if (DRAIN > 0) {
      const cpu0 = await cpuS(sidecar.pid);
      const drops0 = await udpRcvbufErrors();
      const sidecarDrops0 = await udpSocketDrops(join);
      const answers = await swarm.depart(DRAIN, DRAIN_BUDGET_MS);
      const startedAt = Math.min(...answers.map((a) => a.startedAt));
      const leaving = answers.flatMap((a) => a.names).map((n) => serverNameFor(n));
      const gone = await allGone(files.socket, leaving, startedAt + DRAIN_BUDGET_MS);
      const answeredAt = Math.max(...answers.map((a) => a.doneAt));
      const unanswered = answers.reduce((n, a) => n + a.unanswered, 0);
      const slowest = Math.max(...answers.map((a) => a.slowestMs));
      notes.push(
        `drain: the first depart was sent at ${new Date(startedAt).toISOString()}; ` +
          `${(await udpRcvbufErrors()) - drops0} UDP datagrams dropped by full receive buffers ` +
          `until the last was answered (any socket), ` +
          `${(await udpSocketDrops(join)) - sidecarDrops0} of them the sidecar's`,
      );
      const took = answers.flatMap((a) => a.elapsedMs).sort((a, b) => a - b);
      const pct = (p: number) => took[Math.min(took.length - 1, Math.floor(p * took.length))];
      const st = await serverStatus(files.socket);
      const stillIn = leaving.filter((n) => st.has(n)).length;
      lines.push(
        "",
        `drain ${leaving.length} at once (budget ${DRAIN_BUDGET_MS / 1000} s each): answered ` +
          `${((answeredAt - startedAt) / 1000).toFixed(2)} s after the first was sent, slowest ` +
          `depart ${slowest} ms (median ${pct(0.5)}, p90 ${pct(0.9)}), ${unanswered} unanswered; ` +
          (gone.left === 0
            ? `all their servers gone from HAProxy ${((gone.at - startedAt) / 1000).toFixed(2)} s `
            : `${gone.left} of their servers still in HAProxy at the budget's end `) +
          `after the first depart; now ${stillIn} of them and ${st.size} servers in all; sidecar ` +
          `RSS ${(await rssMb(sidecar.pid)).toFixed(1)} MB, ` +
          `CPU ${(await cpuS(sidecar.pid) - cpu0).toFixed(1)} s over the drain; generators' ` +
          `worst loop lag ${Math.max(...answers.map((a) => a.lagMs))} ms`,
      );
      notes.push(`after the drain, sidecar memory (MB): ${await memoryNote(sidecar.pid)}`);
      const heap = await sidecarHeap();
      if (heap) notes.push(`after the drain, sidecar ${heap}`);
    }
  } catch (err) {
    console.error(`the sidecar's events:\n${eventCounts(sidecarLogs())}`);
    throw err;
  } finally {
    const dump = Deno.env.get("SCALE_LOG"); // the sidecar's log lines, for a post-mortem
    if (dump) {
      await Deno.writeTextFile(
        dump,
        sidecarLogs().map((l) => JSON.stringify(l)).join("\n"),
      );
    }
    await swarm.stop();
    await cluster.stop();
  }
  console.log([...lines, "", ...notes].join("\n"));
}

await main();
