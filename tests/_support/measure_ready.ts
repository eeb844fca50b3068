/**
 * Measures spawn-to-ready time of the python test worker: `deno run -A
 * tests/_support/measure_ready.ts [runs=7] [readiness=tcp] [python=python3]`. Prints each run
 * and the median.
 *
 * @module
 */
import { Supervisor, type SupervisorEvent } from "../../lib/supervisor/mod.ts";
import { workerPath } from "./supervisor.ts";
import { systemClock } from "../../lib/clock.ts";
import { denoProcessHost } from "../../lib/supervisor/process_host.ts";

const runs = Number(Deno.args[0] ?? 7);
const readiness = Deno.args[1] ?? "tcp";
const python = Deno.args[2] ?? "python3";
const times: number[] = [];
for (let i = 0; i < runs; i++) {
  let spawnedAt = 0;
  let readyAt = 0;
  const onEvent = (e: SupervisorEvent) => {
    if (e.type === "spawned") spawnedAt = performance.now();
    if (e.type === "ready") readyAt = performance.now();
  };
  const sup = new Supervisor({
    command: [python, workerPath("http_worker.py")],
    listen: "127.0.0.1:0",
    readiness,
    onEvent,
  }, { clock: systemClock, host: denoProcessHost });
  await sup.start();
  times.push(readyAt - spawnedAt);
  await sup.stop();
}
const sorted = [...times].sort((a, b) => a - b);
console.log(JSON.stringify({
  readiness,
  python,
  runsMs: times.map((t) => Math.round(t)),
  medianMs: Math.round(sorted[Math.floor(sorted.length / 2)]!),
}));
