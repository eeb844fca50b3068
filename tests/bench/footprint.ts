/**
 * Footprint benchmark (not a test): what `shoal task` and `shoal sidecar` cost next to the bare
 * Deno runtime and to a serf agent in the same cluster.
 *
 *   deno task bench:footprint [members=100] [idle_s=60] [--bundle] [--debug] [--v8-flags=a,b]
 *
 * 1. The floor: a bare Deno process with one UDP socket and a timer (`_floor.ts`), and the same
 *    using once each runtime capability a task uses (`_floor.ts features`).
 * 2. A cluster on loopback: `shoal sidecar` supervising a real HAProxy, one `shoal task` (the
 *    demo worker under it) and one `serf agent`, all joined. After a settling period, the idle
 *    CPU of each over `idle_s` seconds, and RSS split into anonymous and file-backed pages.
 * 3. The same sidecar after `members` more real serf agents join (their own cluster, merged into
 *    the sidecar's with `serf join`): RSS and idle CPU against a serf agent's.
 *
 * Only the shoal processes themselves are measured, never their children (HAProxy, the worker).
 * Prints a markdown table for BENCHMARKS.md, then where each process's memory is (`_smaps.ts`).
 * Addresses: 127.93.x.y.
 *
 * @module
 */

import { Cluster, freePortOn, gossipAddr, writeHaproxyConfig } from "../_support/cluster_e2e.ts";
import { waitFor } from "../_support/serf_agent.ts";
import { serfCli } from "../_support/serf_cli.ts";
import { GossipCluster, members, procUsage } from "./_gossip_nodes.ts";
import { type MemoryParts, memoryParts } from "./_smaps.ts";

const flags = Deno.args.filter((a) => a.startsWith("--"));
const positional = Deno.args.filter((a) => !a.startsWith("--"));
const MEMBERS = Number(positional[0] ?? 100);
const IDLE_S = Number(positional[1] ?? 60);
/** `--bundle`: run a `deno bundle` of main.ts (one JavaScript file, what a release binary embeds). */
const BUNDLE = flags.includes("--bundle");
/** `--debug`: log at debug level (the tests' default) instead of info (the flag's default). */
const LOG_LEVEL = flags.includes("--debug") ? "debug" : "info";
/**
 * `--v8-flags=a,b`: V8 flags for the shoal processes (`DENO_V8_FLAGS`), as `deno compile
 * --v8-flags` would bake them into a release binary.
 */
const V8_FLAGS = flags.find((a) => a.startsWith("--v8-flags="))?.slice("--v8-flags=".length);
const HOST = "127.93.0.1";
const SETTLE_MS = 5_000;
const FLOOR = new URL("./_floor.ts", import.meta.url).pathname;

/** Resident memory of a process from `/proc/<pid>/status`, in MB. */
interface Memory {
  readonly rss: number;
  readonly anon: number;
  readonly file: number;
}

async function memory(pid: number): Promise<Memory> {
  const text = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = (key: string) => Number(text.match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"))?.[1]);
  return { rss: kb("VmRSS") / 1024, anon: kb("RssAnon") / 1024, file: kb("RssFile") / 1024 };
}

/** CPU seconds each process used over `seconds` of idling, scaled to one minute. */
async function idleCpu(pids: readonly number[], seconds: number): Promise<number[]> {
  const before = await Promise.all(pids.map(procUsage));
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const after = await Promise.all(pids.map(procUsage));
  return pids.map((pid, i) => {
    const a = before[i], b = after[i];
    if (!a || !b) throw new Error(`process ${pid} exited while idling`);
    return (b.cpuMs - a.cpuMs) / 1000 * (60 / seconds);
  });
}

/** A running `_floor.ts`. */
interface Floor {
  readonly pid: number;
  stop(): Promise<void>;
}

async function startFloor(mode: "" | "schedule" | "features"): Promise<Floor> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-net", FLOOR, ...(mode ? [mode] : [])],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  await reader.read(); // "floor.ready"
  return {
    pid: child.pid,
    stop: async () => {
      child.kill("SIGKILL");
      await child.status;
      reader.releaseLock();
      await child.stdout.cancel();
    },
  };
}

/** Where each measured process's memory is, by name, for the second table. */
const partsOf = new Map<string, MemoryParts>();

/** {@linkcode memory} of `pid`, and its {@linkcode MemoryParts} kept under `name`. */
async function measure(name: string, pid: number): Promise<Memory> {
  const [m, parts] = await Promise.all([memory(pid), memoryParts(pid)]);
  partsOf.set(name, parts);
  return m;
}

async function floor(name: string, mode: "" | "features"): Promise<Memory> {
  const f = await startFloor(mode);
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const m = await measure(name, f.pid);
  await f.stop();
  return m;
}

/** The second table: each process's resident MB by part of its address space. */
function partsTable(): string[] {
  const lines = [
    "| process | deno binary, file | deno binary, anon | malloc `[heap]` | other anon (V8, stacks) | libraries |",
    "| ------- | ----------------: | ----------------: | --------------: | ----------------------: | --------: |",
  ];
  for (const [name, p] of partsOf) {
    const cells = [p.binaryFile, p.binaryAnon, p.malloc, p.anonMaps, p.files].map((n) =>
      n.toFixed(1)
    );
    lines.push(`| ${name} | ${cells.join(" | ")} |`);
  }
  return lines;
}

function row(name: string, m: Memory, floorRss: number, cpu?: number, ref?: number): string {
  const cells = [
    name,
    m.rss.toFixed(1),
    `${m.rss >= floorRss ? "+" : "−"}${Math.abs(m.rss - floorRss).toFixed(1)}`,
    m.anon.toFixed(1),
    m.file.toFixed(1),
    cpu === undefined ? "" : cpu.toFixed(3),
    cpu === undefined || ref === undefined ? "" : `${(cpu / ref).toFixed(2)}×`,
  ];
  return `| ${cells.join(" | ")} |`;
}

/** Bundles main.ts into one JavaScript file; resolves to its path. */
async function bundle(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "shoal-footprint-" });
  const out = `${dir}/shoal.js`;
  const main = new URL("../../main.ts", import.meta.url).pathname;
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--platform", "deno", "-o", out, main],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!r.success) throw new Error(`deno bundle ${main} failed`);
  return out;
}

async function main(): Promise<void> {
  const lines = [
    `members=${MEMBERS} idle=${IDLE_S}s, ${
      BUNDLE ? "bundle" : "sources"
    }, log ${LOG_LEVEL}, v8 flags ${
      V8_FLAGS ?? "none"
    }, deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores`,
    "",
    "| process | RSS MB | over floor | RssAnon MB | RssFile MB | CPU s / idle min | vs serf |",
    "| ------- | -----: | ---------: | ---------: | ---------: | ---------------: | ------: |",
  ];
  const bare = "bare Deno (UDP socket + timer)";
  const f = await floor(bare, "");
  lines.push(row(bare, f, f.rss));
  const features = "bare Deno + a task's runtime features (TCP, FFI, signals, child)";
  lines.push(row(features, await floor(features, "features"), f.rss));

  const main = BUNDLE ? await bundle() : undefined;
  const env = { SHOAL_LOG_LEVEL: LOG_LEVEL, ...(V8_FLAGS ? { DENO_V8_FLAGS: V8_FLAGS } : {}) };
  const cluster = new Cluster({ ...(main ? { main } : {}), env });
  const swarm = new GossipCluster("serf", "127.93.1");
  const files = await writeHaproxyConfig({ web: `${HOST}:${freePortOn(HOST)}` });
  try {
    const sidecar = await cluster.sidecar({ name: "sidecar", host: HOST, files, extra: [] });
    const join = await gossipAddr(sidecar);
    const task = await cluster.task({ name: "task-1", host: "127.93.0.2", join: [join] });
    await swarm.start(1, 20_000); // the reference serf agent (and the swarm's observer)
    const joined = await serfCli("join", swarm.rpcAddr, [join], 10_000);
    if (joined.code !== 0) throw new Error(`serf join ${join}: ${joined.stdout}${joined.stderr}`);
    const serf = swarm.observer;
    const schedule = await startFloor("schedule");
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const pids = [task.pid, sidecar.pid, serf.pid, schedule.pid];
    const [taskCpu, sidecarCpu, serfCpu, scheduleCpu] = await idleCpu(pids, IDLE_S);
    const scheduleMem = await memory(schedule.pid);
    await schedule.stop();
    lines.push(
      row("bare Deno, memberlist's idle timers", scheduleMem, f.rss, scheduleCpu, serfCpu),
    );
    lines.push(
      row(
        "shoal task (idle, 3 members)",
        await measure("shoal task", task.pid),
        f.rss,
        taskCpu,
        serfCpu,
      ),
    );
    lines.push(
      row(
        "shoal sidecar (3 members)",
        await measure("shoal sidecar", sidecar.pid),
        f.rss,
        sidecarCpu,
        serfCpu,
      ),
    );
    lines.push(row("serf agent (3 members)", await memory(serf.pid), f.rss, serfCpu, serfCpu));

    if (MEMBERS > 0) {
      await swarm.grow(MEMBERS, 120_000);
      const want = MEMBERS + 3;
      await waitFor(
        `the serf observer lists ${want} members alive`,
        async () => {
          const alive = (await members(swarm.rpcAddr)).filter((m) => m.status === "alive");
          return alive.length >= want;
        },
        120_000,
        500,
      );
      await new Promise((r) => setTimeout(r, 2 * SETTLE_MS));
      const [sc, sf] = await idleCpu([sidecar.pid, serf.pid], IDLE_S);
      const n = `${want} members`;
      const big = `shoal sidecar (${n})`;
      lines.push(row(big, await measure(big, sidecar.pid), f.rss, sc, sf));
      lines.push(row(`shoal task (${n})`, await memory(task.pid), f.rss));
      lines.push(row(`serf agent (${n})`, await memory(serf.pid), f.rss, sf, sf));
    }
  } finally {
    await swarm.stop();
    await cluster.stop();
  }
  console.log([...lines, "", ...partsTable()].join("\n"));
}

await main();
