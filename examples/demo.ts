/**
 * `deno task demo`: HAProxy, a shoal sidecar and three shoal tasks on 127.0.0.1, end to end.
 *
 * It starts HAProxy under the sidecar (installing it with apt-get when it is missing and we are
 * root), three tasks whose worker says which task answered, shows requests spreading over them,
 * stops one gracefully (SIGTERM: depart, drain, exit) and kills another with SIGKILL (gossip marks
 * it failed), prints HAProxy's routing table after each step, and cleans up. It ends by itself in
 * under a minute with status 0 and leaves no process behind.
 *
 * @module
 */

import { RuntimeClient, type StatRow } from "../lib/haproxy/mod.ts";
import { systemClock } from "../lib/clock.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const MAIN = `${ROOT}main.ts`;
const WORKER = `${ROOT}examples/demo_worker.ts`;
const DENO = Deno.execPath();
const BACKEND = "shoal";
/** Every wait in the demo is bounded; the whole run stays under a minute. */
const STEP_DEADLINE_MS = 35_000;

const children: { name: string; child: Deno.ChildProcess }[] = [];

function say(text: string): void {
  console.log(`\x1b[1m==> ${text}\x1b[0m`);
}

async function haproxyInstalled(): Promise<boolean> {
  try {
    const out = await new Deno.Command("haproxy", { args: ["-v"], stdout: "piped" }).output();
    return out.success;
  } catch {
    return false;
  }
}

async function ensureHaproxy(): Promise<void> {
  if (await haproxyInstalled()) return;
  const root = Deno.uid() === 0;
  let aptGet = false;
  try {
    aptGet = (await new Deno.Command("apt-get", { args: ["--version"], stdout: "null" }).output())
      .success;
  } catch {
    aptGet = false;
  }
  if (!root || !aptGet) {
    console.error(
      "The demo needs HAProxy 2.6 or later. Install it and run again:\n  sudo apt-get install -y haproxy",
    );
    Deno.exit(1);
  }
  say("Installing HAProxy with apt-get");
  for (const args of [["update", "-qq"], ["install", "-y", "-qq", "haproxy"]]) {
    const r = await new Deno.Command("apt-get", {
      args,
      env: { DEBIAN_FRONTEND: "noninteractive" },
    }).output();
    if (!r.success) {
      console.error(
        `apt-get ${args.join(" ")} failed; install HAProxy by hand: apt-get install -y haproxy`,
      );
      Deno.exit(1);
    }
  }
}

function freePort(host: string): number {
  for (let i = 0; i < 32; i++) {
    const l = Deno.listen({ hostname: host, port: 0 });
    const port = l.addr.port;
    l.close();
    try {
      Deno.listenDatagram({ hostname: host, port, transport: "udp" }).close();
      return port;
    } catch {
      // the UDP side is taken; try another
    }
  }
  throw new Error(`No free port on ${host}`);
}

/** One fresh gossip key for this demo's cluster, as `shoal keygen` would print it. */
const GOSSIP_KEY = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));

function start(name: string, args: string[], env: Record<string, string> = {}): Deno.ChildProcess {
  const child = new Deno.Command(DENO, {
    args: ["run", "-A", MAIN, ...args],
    env: { SHOAL_LOG_LEVEL: "warn", SHOAL_LOG_FORMAT: "text", SHOAL_ENCRYPT: GOSSIP_KEY, ...env },
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
    // its own process group, so the demo can SIGKILL a task with its worker, as a host crash would
    detached: true,
  }).spawn();
  children.push({ name, child });
  return child;
}

async function waitUntil(what: string, cond: () => Promise<boolean>): Promise<void> {
  const end = performance.now() + STEP_DEADLINE_MS;
  while (performance.now() < end) {
    if (await cond().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

async function servers(client: RuntimeClient): Promise<StatRow[]> {
  return (await client.stat(BACKEND)).filter((r) => r.kind === "server");
}

/** Addresses of the slots in use (a slot in maintenance is free). */
async function serving(client: RuntimeClient): Promise<string[]> {
  return (await client.serversState(BACKEND)).filter((s) => s.admin !== "maint").map((s) => s.addr);
}

async function showTable(client: RuntimeClient): Promise<void> {
  const state = await client.serversState(BACKEND);
  const stat = new Map((await servers(client)).map((r) => [r.service, r]));
  console.log("   server            address              status    sessions");
  for (const s of state) {
    if (s.admin === "maint") continue; // a free slot
    const row = stat.get(s.name);
    console.log(
      `   ${s.name.padEnd(17)} ${`${s.addr}:${s.port}`.padEnd(20)} ${
        (row?.status ?? "?").padEnd(9)
      } ${row?.scur ?? 0}`,
    );
  }
  if (state.length === 0) console.log("   (no servers)");
}

async function spread(url: string, n: number): Promise<void> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const res = await fetch(url);
    const body = (await res.text()).trim();
    const key = res.ok ? body : `HTTP ${res.status}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  for (const [who, count] of [...counts].sort()) console.log(`   ${count} × ${who}`);
}

/** Signals the whole process group (a crash takes the worker with it). */
function killGroup(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    Deno.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Signals shoal alone, as ECS or docker stop does: shoal stops its own children in order. */
function signalShoal(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch {
    // already gone
  }
}

async function cleanup(): Promise<void> {
  // Tasks first, so the sidecar (and HAProxy under it) outlive their departs.
  const tasks = children.filter((c) => c.name !== "sidecar");
  for (const c of tasks) signalShoal(c.child, "SIGTERM");
  await Promise.race([
    Promise.allSettled(tasks.map((c) => c.child.status)),
    new Promise((r) => setTimeout(r, 8000)),
  ]);
  for (const c of children) signalShoal(c.child, "SIGTERM");
  const settled = Promise.allSettled(children.map((c) => c.child.status));
  const timer = setTimeout(() => children.forEach((c) => killGroup(c.child, "SIGKILL")), 10_000);
  await settled;
  clearTimeout(timer);
}

async function main(): Promise<void> {
  await ensureHaproxy();
  const dir = await Deno.makeTempDir({ prefix: "shoal-demo-" });
  const socket = `${dir}/admin.sock`;
  const webPort = freePort("127.0.0.1");
  const gossipPort = freePort("127.0.0.1");
  await Deno.writeTextFile(
    `${dir}/haproxy.cfg`,
    `global
  stats socket ${socket} mode 600 level admin
  server-state-file ${dir}/server-state
defaults
  load-server-state-from-file global
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s
  retries 3
  option redispatch 1
frontend web
  bind 127.0.0.1:${webPort}
  default_backend ${BACKEND}
backend ${BACKEND}
  balance roundrobin
  option httpchk GET /
  server-template shoal-slot 1-8 localhost:1 check inter 1s rise 1 fall 2 downinter 50ms init-addr last,libc,none disabled
`,
  );
  // One connection per command: a persistent one would keep reading the old process after a reload.
  const client = new RuntimeClient({ clock: systemClock, socketPath: socket, mode: "per-command" });
  try {
    say(`Starting the sidecar, supervising HAProxy (frontend http://127.0.0.1:${webPort})`);
    const sidecar = start("sidecar", [
      "sidecar",
      "--node=sidecar",
      `--bind=127.0.0.1:${gossipPort}`,
      "--rpc-addr=",
      `--haproxy-socket=${socket}`,
      `--haproxy-backend=${BACKEND}`,
      `--server-state-file=${dir}/server-state`,
      "--",
      "haproxy",
      "-W",
      "-db",
      "-f",
      `${dir}/haproxy.cfg`,
    ]);
    await waitUntil("HAProxy's admin socket", async () => (await client.info()).pid > 0);

    const tasks: Deno.ChildProcess[] = [];
    for (const n of [1, 2, 3]) {
      const host = `127.0.0.${10 + n}`;
      say(`Starting task-${n} on ${host} (worker: ${WORKER.replace(ROOT, "")})`);
      tasks.push(start(`task-${n}`, [
        "task",
        `--node=task-${n}`,
        `--bind=${host}:${freePort(host)}`,
        `--join=127.0.0.1:${gossipPort}`,
        `--listen-addr=${host}:0`,
        "--drain-timeout=5s",
        "--",
        DENO,
        "run",
        "-A",
        WORKER,
      ], { DEMO_TASK: `task-${n}` }));
    }
    await waitUntil(
      "three servers up",
      async () => (await servers(client)).filter((r) => r.status.startsWith("UP")).length === 3,
    );
    say("Routing table: three tasks registered, no reload");
    await showTable(client);
    say("12 requests through HAProxy");
    await spread(`http://127.0.0.1:${webPort}/`, 12);

    say("SIGHUP to the sidecar: HAProxy reloads, its slots come back from the server-state file");
    signalShoal(sidecar, "SIGHUP");
    await new Promise((r) => setTimeout(r, 300)); // the new worker is up
    await spread(`http://127.0.0.1:${webPort}/`, 12);

    say("SIGTERM to task-1: it departs, the sidecar drains it, then the worker stops");
    signalShoal(tasks[0]!, "SIGTERM");
    const status = await tasks[0]!.status;
    console.log(`   task-1 exited with status ${status.code}`);
    await waitUntil(
      "task-1 removed",
      async () => !(await serving(client)).includes("127.0.0.11"),
    );
    await showTable(client);
    await spread(`http://127.0.0.1:${webPort}/`, 6);

    say("SIGKILL to task-2 and its worker: gossip marks it failed, the sidecar removes it");
    const killedAt = performance.now();
    killGroup(tasks[1]!, "SIGKILL");
    await waitUntil(
      "task-2 removed",
      async () => !(await serving(client)).includes("127.0.0.12"),
    );
    console.log(
      `   removed ${((performance.now() - killedAt) / 1000).toFixed(1)} s after the kill`,
    );
    await showTable(client);
    await spread(`http://127.0.0.1:${webPort}/`, 6);
    say("Done: cleaning up");
  } finally {
    await client.close();
    await cleanup();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

try {
  await main();
} catch (err) {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  Deno.exit(1);
}
