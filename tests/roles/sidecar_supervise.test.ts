/**
 * `shoal sidecar -- haproxy -W -db -f cfg`: HAProxy as the sidecar's child. A real `serf agent`
 * with `role=task` answers the sidecar's `solicit` from an event handler, so the sidecar has a
 * server to keep across reloads.
 */

import { equal, ok } from "node:assert/strict";
import { AnnounceRequestSchema, encodePayload } from "../../lib/proto.ts";
import {
  get,
  haproxyBinary,
  HaproxyProcess,
  rawCommand,
  requireHaproxy,
  startUpstream,
  waitFor,
} from "../_support/haproxy.ts";
import { freePort, startSerfAgent } from "../_support/serf_agent.ts";
import { parsePromText } from "../_support/prom_text.ts";
import { startShoal } from "../_support/shoal_process.ts";

/** The value of the sample of `name` whose labels include `labels`. */
async function metric(base: string, name: string, labels: Record<string, string>) {
  const families = parsePromText(await (await fetch(`${base}/metrics`)).text());
  const family = [...families.values()].find((f) => f.samples.some((s) => s.name === name));
  return family?.samples.find((s) =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels.get(k) === v)
  )?.value;
}

/** A master-worker HAProxy configuration with one dynamic backend, `be_app`. */
async function writeConfig(dir: string, frontendPort: number): Promise<string> {
  const path = `${dir}/haproxy.cfg`;
  await Deno.writeTextFile(
    path,
    [
      "global",
      `  stats socket ${dir}/admin.sock mode 600 level admin`,
      "defaults",
      "  mode http",
      "  timeout connect 1s",
      "  timeout client 10s",
      "  timeout server 10s",
      "backend be_app",
      "  balance roundrobin",
      "  option httpchk GET /health",
      "frontend fe_app",
      `  bind 127.0.0.1:${frontendPort}`,
      "  default_backend be_app",
      "",
    ].join("\n"),
  );
  return path;
}

async function workerPid(socket: string): Promise<number> {
  const info = await rawCommand(socket, "show info");
  return Number(/^Pid: (\d+)$/m.exec(info)?.[1]);
}

async function hasServer(socket: string, name: string): Promise<boolean> {
  return (await rawCommand(socket, "show servers state be_app")).includes(` ${name} `);
}

/** The bytes of `printf` octal escapes that print `bytes` (a serf query handler's answer). */
function printfScript(bytes: Uint8Array): string {
  return `printf '${[...bytes].map((b) => "\\" + b.toString(8).padStart(3, "0")).join("")}'`;
}

Deno.test("shoal sidecar -- haproxy: waits for it, registers solicited tasks, keeps them across SIGUSR2, stops it on SIGTERM", async () => {
  await requireHaproxy();
  const dir = await Deno.makeTempDir({ prefix: "shoal-sidecar-sup-" });
  const frontend = freePort();
  const cfg = await writeConfig(dir, frontend);
  const socket = `${dir}/admin.sock`;
  const upstream = startUpstream("task-d", "127.0.7.21");
  const answer = encodePayload(AnnounceRequestSchema, {
    port: upstream.port,
    backend: "",
    state: "ready",
  });
  const bind = freePort();
  const agent = await startSerfAgent("task-d", {
    tags: { role: "task" },
    handlers: [`query:solicit=${printfScript(answer)}`],
    extraArgs: [`-bind=127.0.7.21:${bind}`],
  });
  const metricsPort = freePort();
  const base = `http://127.0.0.1:${metricsPort}`;
  // The shell's delay makes HAProxy come up after the sidecar first looks for it.
  const sidecar = startShoal([
    "sidecar",
    "--node=sidecar-sup",
    `--metrics-addr=127.0.0.1:${metricsPort}`,
    `--bind=127.0.0.1:${freePort()}`,
    "--rpc-addr=",
    `--join=127.0.7.21:${bind}`,
    `--haproxy-socket=${socket}`,
    "--haproxy-backend=be_app",
    "--profile=local",
    "--reconcile-interval=1s",
    "--",
    "sh",
    "-c",
    `sleep 0.3; exec ${haproxyBinary()} -W -db -f ${cfg}`,
  ]);
  try {
    const waiting = await sidecar.waitForLog("haproxy.waiting");
    const running = await sidecar.waitForLog("sidecar.running");
    ok(String(waiting.ts) <= String(running.ts));
    await sidecar.waitForLog(
      "sidecar.announce",
      (l) => l.member === "task-d" && l.accepted === true,
    );
    await waitFor("traffic routed to the task", async () => {
      return (await get(`http://127.0.0.1:${frontend}/`)).body === "task-d";
    });

    await waitFor("metrics counting the ready server", async () => {
      return (await metric(base, "shoal_sidecar_servers", {
        backend: "be_app",
        state: "ready",
      })) ===
        1;
    });
    const solicited = { query: "solicit", result: "accepted" };
    ok((await metric(base, "shoal_sidecar_queries_total", solicited) ?? 0) >= 1);
    const drift = () => metric(base, "shoal_sidecar_drift_corrections_total", { action: "add" });
    equal(await drift(), undefined, "registering an announced task is not drift");
    ok((await metric(base, "shoal_sidecar_reconcile_runs_total", { result: "ok" }) ?? 0) >= 1);
    const healthz = await fetch(`${base}/healthz`);
    await healthz.body?.cancel();
    equal(healthz.status, 200);

    const before = await workerPid(socket);
    sidecar.kill("SIGUSR2");
    await sidecar.waitForLog("haproxy.process.reload", (l) => l.signal === "SIGUSR2");
    await waitFor("a new HAProxy worker", async () => {
      const pid = await workerPid(socket);
      return pid > 0 && pid !== before;
    });
    await waitFor("the server back in the new worker", () => hasServer(socket, "shoal-task-d"));
    // The new worker lost the dynamic server: adding it back is real drift.
    await waitFor("the re-add counted as drift", async () => ((await drift()) ?? 0) >= 1);
    await waitFor("traffic routed after the reload", async () => {
      return (await get(`http://127.0.0.1:${frontend}/`)).body === "task-d";
    });

    sidecar.kill("SIGTERM");
    equal((await sidecar.status).code, 0);
    const stopped = sidecar.logs().find((l) => l.event === "haproxy.process.stopped");
    ok(stopped, "HAProxy was not stopped");
    ok(sidecar.logs().some((l) => l.event === "gossip.left"), "sidecar did not leave the cluster");
  } finally {
    await sidecar.stop();
    await agent.stop();
    await upstream.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("shoal sidecar -- haproxy starts HAProxy again when it dies, and stays in service", async () => {
  await requireHaproxy();
  const dir = await Deno.makeTempDir({ prefix: "shoal-sidecar-sup-" });
  const cfg = await writeConfig(dir, freePort());
  const socket = `${dir}/admin.sock`;
  const sidecar = startShoal([
    "sidecar",
    "--node=sidecar-die",
    `--bind=127.0.0.1:${freePort()}`,
    "--rpc-addr=",
    `--haproxy-socket=${socket}`,
    "--haproxy-backend=be_app",
    "--",
    haproxyBinary(),
    "-W",
    "-db",
    "-f",
    cfg,
  ]);
  let worker = 0;
  try {
    const started = await sidecar.waitForLog("haproxy.process.started");
    await sidecar.waitForLog("sidecar.running");
    worker = await workerPid(socket);
    Deno.kill(Number(started.pid), "SIGKILL");
    await sidecar.waitForLog("haproxy.process.exited");
    const again = await sidecar.waitForLog("haproxy.process.restarted");
    ok(Number(again.pid) !== Number(started.pid), "a new HAProxy master");
    await waitFor("the new HAProxy to answer", async () => {
      const pid = await workerPid(socket).catch(() => 0);
      return pid > 0 && pid !== worker;
    }, { timeoutMs: 10_000 });
    equal(sidecar.logs().filter((l) => l.event === "sidecar.stopping").length, 0);
    sidecar.kill("SIGTERM");
    equal((await sidecar.status).code, 0);
  } finally {
    await sidecar.stop();
    try {
      if (worker > 0) Deno.kill(worker, "SIGKILL"); // the orphaned worker of the killed master
    } catch {
      // already gone with its master
    }
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("shoal sidecar -- haproxy stops with 0 when HAProxy is stopped cleanly (SIGUSR1)", async () => {
  await requireHaproxy();
  const dir = await Deno.makeTempDir({ prefix: "shoal-sidecar-sup-" });
  const cfg = await writeConfig(dir, freePort());
  const sidecar = startShoal([
    "sidecar",
    "--node=sidecar-usr1",
    `--bind=127.0.0.1:${freePort()}`,
    "--rpc-addr=",
    `--haproxy-socket=${dir}/admin.sock`,
    "--haproxy-backend=be_app",
    "--",
    haproxyBinary(),
    "-W",
    "-db",
    "-f",
    cfg,
  ]);
  try {
    const started = await sidecar.waitForLog("haproxy.process.started");
    await sidecar.waitForLog("sidecar.running");
    Deno.kill(Number(started.pid), "SIGUSR1"); // HAProxy's soft stop: the master exits 0
    equal((await sidecar.status).code, 0);
    const logs = sidecar.logs();
    ok(logs.some((l) => l.event === "haproxy.process.stopped_by_itself"));
    equal(logs.filter((l) => l.event === "haproxy.process.restarted").length, 0);
  } finally {
    await sidecar.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("shoal sidecar -- haproxy gives up and exits 1 when HAProxy keeps exiting", async () => {
  await requireHaproxy();
  const dir = await Deno.makeTempDir({ prefix: "shoal-sidecar-sup-" });
  const sidecar = startShoal([
    "sidecar",
    "--node=sidecar-loop",
    `--bind=127.0.0.1:${freePort()}`,
    "--rpc-addr=",
    `--haproxy-socket=${dir}/admin.sock`,
    "--haproxy-backend=be_app",
    "--",
    haproxyBinary(),
    "-db",
    "-f",
    `${dir}/missing.cfg`, // exits 1 at once, every time
  ]);
  try {
    equal((await sidecar.status).code, 1);
    const logs = sidecar.logs();
    equal(logs.filter((l) => l.event === "haproxy.process.exited").length, 6);
    equal(logs.filter((l) => l.event === "haproxy.process.restarted").length, 5);
    ok(logs.some((l) => l.event === "haproxy.process.crash_loop"));
  } finally {
    await sidecar.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("shoal sidecar exits 1 with the reason when a backend cannot take dynamic servers", async () => {
  const hap = await HaproxyProcess.start();
  const sidecar = startShoal([
    "sidecar",
    "--node=sidecar-bad",
    `--bind=127.0.0.1:${freePort()}`,
    "--rpc-addr=",
    `--haproxy-socket=${hap.socketPath}`,
    "--haproxy-backend=be_missing",
  ]);
  try {
    equal((await sidecar.status).code, 1);
    const line = sidecar.logs().find((l) => l.event === "sidecar.haproxy.unusable");
    equal(line?.backend, "be_missing");
    equal(line?.reason, "missing");
    ok(String(line?.error).includes("be_missing"));
  } finally {
    await sidecar.stop();
    await hap.stop();
  }
});

Deno.test("shoal sidecar -- haproxy stops HAProxy and exits 1 when gossip cannot start", async () => {
  await requireHaproxy();
  const dir = await Deno.makeTempDir({ prefix: "shoal-sidecar-sup-" });
  const cfg = await writeConfig(dir, freePort());
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const sidecar = startShoal([
    "sidecar",
    "--node=sidecar-nobind",
    `--bind=127.0.0.1:${(taken.addr as Deno.NetAddr).port}`,
    "--rpc-addr=",
    `--haproxy-socket=${dir}/admin.sock`,
    "--haproxy-backend=be_app",
    "--",
    haproxyBinary(),
    "-W",
    "-db",
    "-f",
    cfg,
  ]);
  try {
    equal((await sidecar.status).code, 1);
    const logs = sidecar.logs();
    ok(logs.some((l) => l.event === "sidecar.start_failed"));
    ok(logs.some((l) => l.event === "haproxy.process.stopped"), "HAProxy was left running");
    ok(!logs.some((l) => l.event === "haproxy.process.exited"), "a requested stop is not a crash");
  } finally {
    taken.close();
    await sidecar.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
