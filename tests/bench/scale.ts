/**
 * Scale benchmark (not a test): one `shoal sidecar` supervising a real HAProxy registers many
 * tasks, then drains a batch of them at once.
 *
 *   deno task bench:scale [tasks=1000] [drain=200] [real=0] [idle_s=20]
 *
 * The tasks: `real` real `shoal task` processes (each with the demo worker), and the rest an
 * in-process swarm of our gossip nodes acting as Go-style tasks (`_task_swarm.ts`: `announce`
 * with the protobuf `AnnounceRequest`, answers to `solicit`, `depart` with a drain budget). They
 * join in two steps, to 100 and to `tasks`; after each step the benchmark reports how long after
 * the last accepted announce every server was UP in HAProxy (read from its admin socket with
 * `show stat`), then the sidecar's RSS and idle CPU. Finally `drain` swarm tasks depart at the
 * same moment with a 10 s budget each: every depart must be answered within it, and their servers
 * must be gone from HAProxy. Addresses: 127.95.x.y (swarm), 127.96.0.x (sidecar, real tasks).
 *
 * @module
 */

import {
  BACKEND,
  Cluster,
  freePortOn,
  gossipAddr,
  writeHaproxyConfig,
} from "../_support/cluster_e2e.ts";
import { serverNameFor } from "../../lib/haproxy/names.ts";
import { procUsage } from "./_gossip_nodes.ts";
import { type SwarmTask, TaskSwarm } from "./_task_swarm.ts";

const TOTAL = Number(Deno.args[0] ?? 1000);
const DRAIN = Number(Deno.args[1] ?? 200);
const REAL = Number(Deno.args[2] ?? 0);
const IDLE_S = Number(Deno.args[3] ?? 20);
const HOST = "127.96.0.1";
const SWARM_NET = 95;
const DRAIN_BUDGET_MS = 10_000;
const UP_DEADLINE_MS = Number(Deno.env.get("SCALE_UP_DEADLINE_MS") ?? 120_000);

/** `show stat` over the admin socket: servers of the backend by status (UP, DOWN, MAINT...). */
async function serverStatus(socket: string): Promise<Map<string, string>> {
  const rows = await serverRows(socket);
  return new Map([...rows].map(([k, v]) => [k, v.get("status") ?? ""]));
}

/** `show stat` rows of the backend's servers, each as column name → value. */
async function serverRows(socket: string): Promise<Map<string, Map<string, string>>> {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  await conn.write(new TextEncoder().encode("show stat\n"));
  let text = "";
  const td = new TextDecoder();
  for await (const chunk of conn.readable) text += td.decode(chunk, { stream: true });
  const [header = "", ...body] = text.split("\n");
  const cols = header.replace(/^# /, "").split(",");
  const out = new Map<string, Map<string, string>>();
  for (const line of body) {
    const f = line.split(",");
    if (f[0] !== BACKEND || f[1] === "BACKEND" || f[1] === "FRONTEND" || !f[1]) continue;
    out.set(f[1], new Map(cols.map((c, i) => [c, f[i] ?? ""])));
  }
  return out;
}

/** HAProxy's check of `addr`, done from the benchmark itself (it hosts the swarm). */
async function selfCheck(addr: string): Promise<string> {
  if (!addr) return "no address";
  const t0 = performance.now();
  try {
    const r = await fetch(`http://${addr}/`, { signal: AbortSignal.timeout(3000) });
    await r.body?.cancel();
    return `${r.status} in ${(performance.now() - t0).toFixed(0)} ms`;
  } catch (err) {
    return `${err instanceof Error ? err.message : String(err)} after ${
      (performance.now() - t0).toFixed(0)
    } ms`;
  }
}

async function rssMb(pid: number): Promise<number> {
  const text = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(text.match(/^VmRSS:\s+(\d+) kB/m)?.[1]) / 1024;
}

/** Waits until `want` servers are UP; resolves to the ms it took from `sinceMs`. */
async function allUp(socket: string, want: number, sinceMs: number): Promise<number> {
  const deadline = performance.now() + UP_DEADLINE_MS;
  let seen = new Map<string, number>();
  while (performance.now() < deadline) {
    seen = new Map();
    // HAProxy closes admin connections beyond the socket's maxconn: read again next time.
    const status = await serverStatus(socket).catch(() => new Map<string, string>());
    for (const s of status.values()) seen.set(s, (seen.get(s) ?? 0) + 1);
    if ((seen.get("UP") ?? 0) >= want) return performance.now() - sinceMs;
    await new Promise((r) => setTimeout(r, 100));
  }
  const by = [...seen].map(([s, n]) => `${n} ${s}`).join(", ");
  const down = [...(await serverRows(socket))].filter(([, r]) => r.get("status") !== "UP");
  const why = down.slice(0, 3).map(([name, r]) =>
    `${name} ${r.get("addr")} ${r.get("check_status")} ${r.get("check_desc")} ${r.get("last_chk")}`
  );
  const probe = await selfCheck(down[0]?.[1].get("addr") ?? "");
  throw new Error(
    `not ${want} servers UP after ${UP_DEADLINE_MS} ms: ${by}; ${why.join("; ")}; ` +
      `the same check from here: ${probe}`,
  );
}

async function idleCpuPerMin(pid: number, seconds: number): Promise<number> {
  const a = await procUsage(pid);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const b = await procUsage(pid);
  if (!a || !b) throw new Error(`process ${pid} exited`);
  return (b.cpuMs - a.cpuMs) / 1000 * (60 / seconds);
}

/** How often each (level, event) was logged, most frequent first. */
function eventCounts(logs: readonly Record<string, unknown>[]): string {
  const n = new Map<string, number>();
  for (const l of logs) {
    const k = `${l.level} ${l.event}`;
    n.set(k, (n.get(k) ?? 0) + 1);
  }
  return [...n].sort((a, b) => b[1] - a[1]).map(([k, v]) => `  ${v} ${k}`).join("\n");
}

/** The event loop's worst lag (ms) since the last call: the swarm shares this process. */
function lagMonitor(): () => number {
  let worst = 0;
  let due = performance.now() + 50;
  const id = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - due);
    due = now + 50;
  }, 50);
  Deno.unrefTimer(id);
  return () => {
    const w = worst;
    worst = 0;
    return w;
  };
}

async function main(): Promise<void> {
  const lag = lagMonitor();
  if (Deno.env.get("SCALE_TRACE")) {
    const id = setInterval(() => console.error(`lag ${lag().toFixed(0)} ms`), 2000);
    Deno.unrefTimer(id);
  }
  const lines = [
    `tasks=${TOTAL} (real ${REAL}) drain=${DRAIN} idle=${IDLE_S}s, deno ${Deno.version.deno}, ` +
    `${navigator.hardwareConcurrency} cores`,
    "",
    "| step | servers UP | UP after last announce | sidecar RSS MB | sidecar CPU s / idle min |",
    "| ---- | ---------: | ---------------------: | -------------: | -----------------------: |",
  ];
  const notes: string[] = [];
  let sidecarLogs = (): Record<string, unknown>[] => [];
  // SCALE_DENO_FLAGS: `deno run` flags of the shoal processes, e.g. --inspect=127.96.0.250:9229
  const runFlags = (Deno.env.get("SCALE_DENO_FLAGS") ?? "").split(" ").filter((f) => f !== "");
  const cluster = new Cluster({ env: { SHOAL_LOG_LEVEL: "info" }, runFlags });
  const swarm = new TaskSwarm(SWARM_NET);
  const files = await writeHaproxyConfig({ web: `${HOST}:${freePortOn(HOST)}` });
  // ^C: the sidecar and its HAProxy are in their own process group, so stop them ourselves.
  Deno.addSignalListener("SIGINT", () => void cluster.stop().finally(() => Deno.exit(130)));
  try {
    const sidecar = await cluster.sidecar({
      name: "sidecar",
      host: HOST,
      files,
      extra: [],
    });
    sidecarLogs = () => sidecar.logs();
    const join = await gossipAddr(sidecar);
    for (let i = 0; i < REAL; i++) {
      await cluster.task({ name: `real-${i}`, host: `127.96.0.${2 + i}`, join: [join] });
    }
    let swarmed: SwarmTask[] = [];
    for (const target of [...new Set([Math.min(100, TOTAL), TOTAL])]) {
      const grown = await swarm.grow(target - REAL - swarm.tasks.length, join);
      swarmed = swarm.tasks;
      const announced = await swarm.announce(grown);
      const refused = [...announced.refusals].map(([k, v]) => `${v}× ${k}`).join("; ");
      notes.push(
        `step ${target}: ${grown.length} joined (${swarm.joinRetries} joins retried so far), ` +
          `announced in ${announced.rounds} rounds, worst loop lag ${lag().toFixed(0)} ms` +
          (refused ? ` (not accepted at first: ${refused})` : ""),
      );
      if (announced.failed.length > 0) {
        throw new Error(`never accepted: ${announced.failed.join(",")}; ${refused}`);
      }
      const lastAnnounce = performance.now();
      const upMs = await allUp(files.socket, target, lastAnnounce);
      await new Promise((r) => setTimeout(r, 5_000));
      const cpu = await idleCpuPerMin(sidecar.pid, IDLE_S);
      const row = `| ${target} tasks | ${target} | ${(upMs / 1000).toFixed(2)} s | ` +
        `${(await rssMb(sidecar.pid)).toFixed(1)} | ${cpu.toFixed(3)} |`;
      lines.push(row);
      console.error(`${row} ${notes.at(-1)}`); // kept if a later step fails
    }
    if (DRAIN > 0) {
      const leaving = swarmed.slice(-DRAIN);
      const started = performance.now();
      const rounds = await swarm.depart(leaving, DRAIN_BUDGET_MS);
      const wallMs = performance.now() - started;
      const unanswered = rounds.filter((r) => r.answered < r.expected).length;
      const slowest = Math.max(...rounds.map((r) => r.elapsedMs));
      const st = await serverStatus(files.socket);
      const stillIn = leaving.filter((t) => st.has(serverNameFor(t.name))).length;
      lines.push(
        "",
        `drain ${DRAIN} at once (budget ${DRAIN_BUDGET_MS / 1000} s each): all answered in ` +
          `${
            (wallMs / 1000).toFixed(2)
          } s, slowest depart ${slowest} ms, ${unanswered} unanswered, ` +
          `${stillIn} of their servers still in HAProxy, ${st.size} servers left; ` +
          `sidecar RSS ${(await rssMb(sidecar.pid)).toFixed(1)} MB`,
      );
    }
  } catch (err) {
    console.error(`the sidecar's events:\n${eventCounts(sidecarLogs())}`);
    throw err;
  } finally {
    await swarm.stop();
    await cluster.stop();
  }
  console.log([...lines, "", ...notes].join("\n"));
}

await main();
