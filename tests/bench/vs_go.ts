/**
 * shoal side by side with the Go shoal (not a test), shoal issue 11:
 *
 *   deno task bench:vs-go [tasks=5] [replacements=3] [rate=100] [idle-s=30]
 *
 * For each implementation, in a network namespace of its own (needs root, `ip`, python3, the
 * Go shoal from ../shared/peers): the sidecar supervising the same HAProxy configuration, then
 * `tasks` tasks started one at a time, all running the same worker (`go-shoal/worker.py`):
 *
 * 1. Worker ready → first request through HAProxy: a prober sends a GET every 5 ms through
 *    HAProxy (which sets `X-Via: haproxy`); the worker logs when it is ready and when the first
 *    request via HAProxy arrives, both on its own clock. With one backend and round-robin the
 *    new server's first turn can lag by up to (tasks - 1) × 5 ms. Also from the moment the task
 *    process was started: the Go shoal does not wait for the worker (it sleeps 1 s), so when the
 *    worker starts slowly its "ready → routable" shrinks while "started → routable" does not.
 * 2. Idle cost: after 5 s of quiet, RSS and CPU seconds (user + system) of the sidecar process
 *    and of each task process (not HAProxy, not the workers) over `idle-s` seconds, per minute.
 * 3. Rolling replacement under load: `rate` GETs/s through HAProxy while `replacements` tasks
 *    are replaced one by one (SIGTERM to the old task, a new one started at the same time, wait
 *    until HAProxy has the new one in service; once the old task process exits, whatever it
 *    left behind is killed, as a container's end does). The load runs 2 s past the last
 *    replacement. Both use `--drain-timeout 5s`.
 *
 * Prints a markdown table.
 */

import {
  haproxyReader,
  Load,
  unixClient,
  whenServerNamed,
  writeHaproxyConfig,
} from "../_support/cluster_e2e.ts";
import { interopSkipReason } from "../_support/go_shoal.ts";
import { haproxyBinary } from "../_support/haproxy.ts";
import { procUsage } from "./_gossip_nodes.ts";
import { type BenchTask, goImpl, type Impl, shoalImpl, waitEvent } from "./_vs_go_impls.ts";

const TASKS = Number(Deno.args[0] ?? 5);
const REPLACEMENTS = Number(Deno.args[1] ?? 3);
const RATE = Number(Deno.args[2] ?? 100);
const IDLE_S = Number(Deno.args[3] ?? 30);
const SETTLE_MS = 5000;
const TAIL_MS = 2000;

interface Result {
  readonly label: string;
  /** Worker ready → first request through HAProxy, seconds, per task. */
  readonly routableS: number[];
  /** Task process started → first request through HAProxy, seconds, per task. */
  readonly startedS: number[];
  readonly sent: number;
  readonly failed: number;
  /** The rolling replacement's duration, the 2 s tail included. */
  readonly rollS: number;
  readonly taskRssMb: number;
  readonly sidecarRssMb: number;
  readonly taskCpuPerMin: number;
  readonly sidecarCpuPerMin: number;
  /** Old tasks whose output shows a Go panic after SIGTERM. */
  readonly panics: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function run(make: () => Promise<Impl>): Promise<Result> {
  const impl = await make();
  const files = await writeHaproxyConfig({
    frontendLines: ["http-request set-header X-Via haproxy"],
  });
  const client = unixClient(files.webSocket!);
  const hap = haproxyReader(files.socket);
  const loads: Load[] = [];
  try {
    const sidecar = await impl.sidecar(files);

    // 1. ready → routable, one task at a time.
    const prober = new Load(files.url, { ratePerS: 200, maxMs: 300_000, timeoutMs: 1000, client });
    loads.push(prober);
    const tasks: BenchTask[] = [];
    const routableS: number[] = [];
    const startedS: number[] = [];
    for (let i = 0; i < TASKS; i++) {
      const startedAt = Date.now() / 1000;
      const t = await impl.task(`task-${i}`, `127.0.1.${10 + i}`, files.dir);
      const ready = await waitEvent(t.events, "ready", 30_000);
      const first = await waitEvent(t.events, "first_haproxy", 30_000);
      routableS.push(first.t - ready.t);
      startedS.push(first.t - startedAt);
      tasks.push(t);
    }
    await prober.stop();

    // 2. idle cost.
    await sleep(SETTLE_MS);
    const pids = [sidecar.pid, ...tasks.map((t) => t.proc.pid)];
    const before = await Promise.all(pids.map(procUsage));
    await sleep(IDLE_S * 1000);
    const after = await Promise.all(pids.map(procUsage));
    const cpuPerMin = (i: number) => ((after[i]!.cpuMs - before[i]!.cpuMs) / 1000) * (60 / IDLE_S);
    const taskIdx = tasks.map((_, i) => i + 1);

    // 3. rolling replacement under load.
    const rollStart = performance.now();
    const load = new Load(files.url, { ratePerS: RATE, maxMs: 300_000, client });
    loads.push(load);
    let panics = 0;
    for (let i = 0; i < REPLACEMENTS; i++) {
      const old = tasks[i]!;
      old.proc.kill("SIGTERM");
      const [fresh] = await Promise.all([
        impl.task(`new-${i}`, `127.0.2.${10 + i}`, files.dir),
        (async () => {
          await Promise.race([old.proc.exited, sleep(30_000)]);
          if (old.proc.output().includes("panic:")) panics++;
          await old.proc.stop(); // the container ends: nothing it started survives
        })(),
      ]);
      await whenServerNamed(hap, fresh.server, (s) => impl.inService(s), 30_000);
    }
    await sleep(TAIL_MS);
    const results = await load.stop();
    return {
      label: impl.label,
      routableS,
      startedS,
      sent: results.length,
      rollS: (performance.now() - rollStart) / 1000,
      failed: load.failures().length,
      taskRssMb: mean(taskIdx.map((i) => after[i]!.rssBytes)) / 1e6,
      sidecarRssMb: after[0]!.rssBytes / 1e6,
      taskCpuPerMin: mean(taskIdx.map(cpuPerMin)),
      sidecarCpuPerMin: cpuPerMin(0),
      panics,
    };
  } finally {
    for (const l of loads) await l.stop();
    client.close();
    await hap.close();
    await impl.stop();
  }
}

function range(xs: number[], digits: number): string {
  const s = [...xs].sort((a, b) => a - b);
  const median = s[Math.floor(s.length / 2)]!;
  return `${median.toFixed(digits)} (${s[0]!.toFixed(digits)}–${s.at(-1)!.toFixed(digits)})`;
}

function table(rs: readonly Result[]): string {
  const row = (h: string, f: (r: Result) => string) => `| ${h} | ${rs.map(f).join(" | ")} |`;
  return [
    `| | ${rs.map((r) => r.label).join(" | ")} |`,
    `|---|${rs.map(() => "---:").join("|")}|`,
    row(
      `worker ready → first request through HAProxy, s, median (min–max) of ${TASKS}`,
      (r) => range(r.routableS, 2),
    ),
    row(
      "task started → first request through HAProxy, s, median (min–max)",
      (r) => range(r.startedS, 2),
    ),
    row(
      `failed requests, rolling replacement of ${REPLACEMENTS} at ${RATE}/s`,
      (r) => `${r.failed} of ${r.sent} in ${r.rollS.toFixed(1)} s`,
    ),
    row("task RSS, MB (mean)", (r) => r.taskRssMb.toFixed(1)),
    row("sidecar RSS, MB", (r) => r.sidecarRssMb.toFixed(1)),
    row("task CPU s per idle minute (mean)", (r) => r.taskCpuPerMin.toFixed(2)),
    row("sidecar CPU s per idle minute", (r) => r.sidecarCpuPerMin.toFixed(2)),
    row("old tasks that panicked on SIGTERM", (r) => `${r.panics} of ${REPLACEMENTS}`),
  ].join("\n");
}

const skip = interopSkipReason();
if (skip !== undefined) {
  console.error(`bench:vs-go cannot run: ${skip}`);
  Deno.exit(1);
}
const version =
  (await new Deno.Command(haproxyBinary(), { args: ["-v"], stdout: "piped" }).output())
    .stdout;
console.log(
  `${new TextDecoder().decode(version).split("\n")[0]}; Deno ${Deno.version.deno}; ` +
    `${navigator.hardwareConcurrency} CPUs\n`,
);
console.log(
  `Command: deno run -A tests/bench/vs_go.ts ${TASKS} ${REPLACEMENTS} ${RATE} ${IDLE_S}\n`,
);
const results = [await run(shoalImpl), await run(goImpl)];
console.log(table(results));
