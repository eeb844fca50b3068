import { deepStrictEqual as assertEq, ok, rejects } from "node:assert/strict";
import { MemoryLogger } from "../../lib/log/logger.ts";
import {
  ReadyTimeoutError,
  Supervisor,
  type SupervisorEvent,
  type SupervisorOptions,
  WorkerExitedError,
} from "../../lib/supervisor/mod.ts";
import {
  httpGet,
  openFds,
  requirePython,
  settledFds,
  signalIgnored,
  waitFor,
  workerPath,
} from "../_support/supervisor.ts";
import { systemClock } from "../../lib/clock.ts";
import { denoProcessHost } from "../../lib/supervisor/process_host.ts";

const PY_WORKER = ["python3", workerPath("http_worker.py")];

function supervise(options: Partial<SupervisorOptions> & Pick<SupervisorOptions, "command">) {
  const events: SupervisorEvent[] = [];
  const logger = new MemoryLogger();
  const sup = new Supervisor(
    { listen: "127.0.0.1:0", onEvent: (e) => events.push(e), ...options },
    { clock: systemClock, host: denoProcessHost, logger },
  );
  const types = () => events.map((e) => e.type);
  return { sup, events, types, logger };
}

async function info(sup: Supervisor, host = "127.0.0.1") {
  const res = await httpGet(host, sup.address!.port, "/info");
  assertEq(res.status, 200);
  return JSON.parse(res.body);
}

Deno.test("Supervisor.start() with tcp readiness resolves only once the python worker accepts on fd 3", async () => {
  requirePython();
  const { sup, types } = supervise({ command: [...PY_WORKER, "--systemd", "--port-arg={port}"] });
  await sup.start();
  try {
    // No waiting: ready means the worker is already serving.
    const seen = await info(sup);
    const pid = sup.pid!;
    assertEq(seen.pid, pid);
    assertEq(seen.listen_pid, String(pid));
    assertEq([seen.listen_fds, seen.listen_fdnames, seen.shoal_listener_fd], ["1", "shoal", "3"]);
    assertEq(seen.shoal_port, String(sup.address!.port));
    assertEq(seen.shoal_addr, `127.0.0.1:${sup.address!.port}`);
    assertEq(seen.argv.at(-1), `--port-arg=${sup.address!.port}`);
    assertEq(await settledFds(pid, [0, 1, 2, 3]), [0, 1, 2, 3]);
  } finally {
    const status = await sup.stop();
    assertEq(status.code, 0);
  }
  assertEq(types(), ["listening", "spawned", "ready", "stopping", "exited"]);
});

Deno.test("Supervisor starts the worker with SIGPIPE at default although Deno ignores it", async () => {
  // Python and Deno workers ignore SIGPIPE themselves, so a plain program shows what it inherited.
  const { sup } = supervise({ command: ["sleep", "30"], readiness: "delay:1ms" });
  await sup.start();
  try {
    const pid = sup.pid!;
    await waitFor(
      "worker exec'd sleep",
      () => Deno.readTextFileSync(`/proc/${pid}/comm`).trim() === "sleep",
    );
    assertEq(signalIgnored(Deno.pid, 13), true, "precondition: the parent ignores SIGPIPE");
    assertEq(signalIgnored(pid, 13), false);
    // `sleep` may briefly hold a file of its own while it starts (locale data lands on fd 4):
    // what it inherited from us is exactly 0-3 once it settles.
    await waitFor("only fds 0-3 open", () => openFds(pid).join() === "0,1,2,3");
  } finally {
    assertEq((await sup.stop()).code, 143);
  }
});

Deno.test("Supervisor without socket activation: a worker insisting on LISTEN_PID exits 3 before ready", async () => {
  requirePython();
  const { sup, types } = supervise({
    command: [...PY_WORKER, "--systemd"],
    socketActivation: false,
  });
  await rejects(sup.start(), WorkerExitedError);
  assertEq((await sup.exited).code, 3);
  ok(!types().includes("ready"));
});

Deno.test("Supervisor serves a Deno worker that adopts fd 3 with node:http listen({fd: 3})", async () => {
  const { sup } = supervise({
    command: [Deno.execPath(), "run", "-A", workerPath("deno_worker.ts")],
    readiness: "http:/",
  });
  await sup.start();
  try {
    const seen = await info(sup);
    assertEq([seen.runtime, seen.pid, seen.shoal_port], [
      "deno",
      sup.pid,
      String(sup.address!.port),
    ]);
  } finally {
    assertEq((await sup.stop()).code, 0);
  }
});

Deno.test("Supervisor listens on IPv6 [::1] and the worker serves there", async () => {
  requirePython();
  const { sup } = supervise({ command: PY_WORKER, listen: "[::1]:0", readiness: "http:/" });
  await sup.start();
  try {
    const seen = await info(sup, "::1");
    assertEq(seen.shoal_addr, `[::1]:${sup.address!.port}`);
  } finally {
    await sup.stop();
  }
});

Deno.test("Supervisor notify readiness: READY=1 on NOTIFY_SOCKET makes the worker ready", async () => {
  requirePython();
  const { sup } = supervise({ command: [...PY_WORKER, "--notify"], readiness: "notify" });
  await sup.start();
  try {
    ok((await info(sup)).notify_socket.endsWith("/notify.sock"));
  } finally {
    await sup.stop();
  }
});

Deno.test("Supervisor.start() rejects with ReadyTimeoutError for a worker that never notifies, and stops it", async () => {
  requirePython();
  const { sup, types } = supervise({
    command: PY_WORKER,
    readiness: "notify",
    readyTimeoutMs: 800,
  });
  const started = performance.now();
  const err = await sup.start().then(() => undefined, (e: unknown) => e);
  ok(err instanceof ReadyTimeoutError, String(err));
  ok(performance.now() - started >= 800);
  // 0 if its SIGTERM handler was installed yet, 143 if SIGTERM came first on a loaded machine.
  ok([0, 143].includes(err.status?.code ?? -1), `stopped: ${err.status?.description}`);
  assertEq(types().includes("ready"), false);
  assertEq(types().at(-1), "exited");
});

Deno.test("Supervisor.start() with tcp readiness times out for a worker that never accepts", async () => {
  requirePython();
  const { sup, types } = supervise({
    command: [...PY_WORKER, "--never-accept"],
    readyTimeoutMs: 800,
  });
  await rejects(sup.start(), ReadyTimeoutError);
  assertEq(types().includes("ready"), false);
});

Deno.test("Supervisor reports a crash after ready immediately, with status 128+SIGABRT", async () => {
  requirePython();
  const { sup, events } = supervise({ command: PY_WORKER });
  await sup.start();
  await httpGet("127.0.0.1", sup.address!.port, "/crash").catch(() => undefined);
  const status = await sup.exited;
  assertEq([status.code, status.signal], [134, 6]);
  assertEq(events.at(-1), { type: "exited", status });
});

Deno.test("Supervisor.start() rejects with WorkerExitedError carrying exit status 7", async () => {
  requirePython();
  const { sup } = supervise({ command: [...PY_WORKER, "--exit", "7"] });
  const err = await sup.start().then(() => undefined, (e: unknown) => e);
  ok(err instanceof WorkerExitedError);
  assertEq(err.status.code, 7);
});

Deno.test("Supervisor.stop() returns the worker's own exit status 7", async () => {
  requirePython();
  const { sup } = supervise({ command: [...PY_WORKER, "--term-exit", "7"] });
  await sup.start();
  assertEq((await sup.stop()).code, 7);
  assertEq((await sup.stop()).code, 7, "stop() is idempotent");
});

Deno.test("Supervisor.stop() SIGKILLs a worker that ignores SIGTERM after the drain timeout", async () => {
  requirePython();
  const { sup, events } = supervise({ command: [...PY_WORKER, "--ignore-term"] });
  await sup.start();
  const t0 = performance.now();
  const status = await sup.stop({ drainTimeoutMs: 600 });
  ok(performance.now() - t0 >= 600);
  assertEq([status.code, status.signal], [137, 9]);
  assertEq(events.filter((e) => e.type === "stopping"), [
    { type: "stopping", signal: "SIGTERM" },
    { type: "stopping", signal: "SIGKILL" },
  ]);
});

Deno.test("Supervisor forwards SIGHUP and SIGUSR2 received by this process to the worker", async () => {
  requirePython();
  const { sup } = supervise({ command: PY_WORKER });
  await sup.start();
  try {
    Deno.kill(Deno.pid, "SIGHUP");
    Deno.kill(Deno.pid, "SIGUSR2");
    await waitFor("worker saw SIGHUP and SIGUSR2", async () => {
      const seen = await info(sup);
      return seen.hups === 1 && seen.usr2 === 1;
    });
  } finally {
    await sup.stop();
  }
});

Deno.test("Supervisor health: http check reports unhealthy after `fall` failures, healthy after `rise`", async () => {
  requirePython();
  const { sup, types } = supervise({
    command: PY_WORKER,
    health: "http:/health",
    healthIntervalMs: 50,
    rise: 2,
    fall: 2,
  });
  await sup.start();
  try {
    sup.signal("SIGUSR1"); // the worker's /health now answers 503
    await waitFor("unhealthy", () => types().includes("unhealthy"));
    sup.signal("SIGUSR1");
    await waitFor("healthy again", () => types().includes("healthy"));
    assertEq(types().slice(3), ["unhealthy", "healthy"]);
  } finally {
    await sup.stop();
  }
});

Deno.test("Supervisor exec readiness runs the command with SHOAL_PORT until it succeeds", async () => {
  requirePython();
  const probe = 'python3 -c "import os,urllib.request as u; ' +
    "u.urlopen('http://127.0.0.1:'+os.environ['SHOAL_PORT']+'/', timeout=2)\"";
  const { sup } = supervise({ command: PY_WORKER, readiness: `exec:${probe}` });
  await sup.start();
  try {
    assertEq((await httpGet("127.0.0.1", sup.address!.port, "/")).status, 200);
  } finally {
    await sup.stop();
  }
});

Deno.test("Supervisor log-worker mode logs worker output lines as events", async () => {
  const { sup, logger } = supervise({
    command: ["sh", "-c", "echo hello; echo oops >&2; exit 5"],
    readiness: "delay:10s",
    logWorker: true,
  });
  const err = await sup.start().then(() => undefined, (e: unknown) => e);
  ok(err instanceof WorkerExitedError);
  assertEq(err.status.code, 5);
  await waitFor(
    "both lines logged",
    () => logger.named("worker.stdout").length + logger.named("worker.stderr").length === 2,
  );
  assertEq(logger.named("worker.stdout")[0]?.fields.line, "hello");
  assertEq(logger.named("worker.stderr")[0]?.fields.line, "oops");
});

Deno.test("Supervisor.stop() during start() stops the starting worker and start() rejects", async () => {
  requirePython();
  const { sup, types } = supervise({ command: [...PY_WORKER, "--never-accept"] });
  const starting = sup.start().then(() => undefined, (e: unknown) => e);
  await waitFor("worker spawned", () => types().includes("spawned"));
  const status = await sup.stop();
  ok([0, 143].includes(status.code), status.description);
  ok(await starting instanceof WorkerExitedError);
  assertEq(types().includes("ready"), false);
});
