/**
 * A thin runnable entry around {@linkcode Supervisor} for end-to-end tests (to be replaced by the
 * real `shoal task` CLI). Events go to stdout as JSON lines (`{"ev":"ready",...}`), log events to
 * stderr as JSON lines. SIGTERM/SIGINT stop the worker; the exit code is the worker's status,
 * 1 for a ready timeout, 2 for a usage error.
 *
 * Usage: deno run -A run_supervisor.ts [--listen A] [--ready SPEC] [--ready-timeout DUR]
 *   [--health SPEC --health-interval DUR --rise N --fall N] [--drain-timeout DUR]
 *   [--kill-grace DUR] [--reap auto|all|pid] [--no-socket-activation] [--log-worker] -- CMD...
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { LogFields, Logger } from "../../lib/log/logger.ts";
import {
  parseDurationMs,
  ReadyTimeoutError,
  Spawner,
  Supervisor,
  type SupervisorOptions,
  WorkerExitedError,
} from "../../lib/supervisor/mod.ts";
import { systemClock } from "../../lib/clock.ts";
import { denoProcessHost } from "../../lib/supervisor/process_host.ts";

const enc = new TextEncoder();
const jsonLine = (stream: { writeSync(b: Uint8Array): number }, obj: unknown) =>
  stream.writeSync(enc.encode(JSON.stringify(obj) + "\n"));

function stderrLogger(base: LogFields = {}): Logger {
  const log = (level: string) => (event: string, fields: LogFields = {}) =>
    jsonLine(Deno.stderr, { level, log: event, ...base, ...fields });
  return {
    debug: () => {},
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    with: (f) => stderrLogger({ ...base, ...f }),
  };
}

function parseOptions(args: string[]): { options: SupervisorOptions; reap: string } {
  const { values: v, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      "listen": { type: "string" },
      "ready": { type: "string" },
      "ready-timeout": { type: "string" },
      "health": { type: "string" },
      "health-interval": { type: "string" },
      "rise": { type: "string" },
      "fall": { type: "string" },
      "drain-timeout": { type: "string" },
      "kill-grace": { type: "string" },
      "reap": { type: "string", default: "auto" },
      "no-socket-activation": { type: "boolean" },
      "log-worker": { type: "boolean" },
    },
  });
  const ms = (s: string | undefined) => s === undefined ? undefined : parseDurationMs(s);
  const options: SupervisorOptions = {
    command: positionals,
    onEvent: (e) => jsonLine(Deno.stdout, { ev: e.type, ...e }),
  };
  const set = <K extends keyof SupervisorOptions>(k: K, val: SupervisorOptions[K] | undefined) => {
    if (val !== undefined) options[k] = val;
  };
  set("listen", v.listen);
  set("readiness", v.ready);
  set("readyTimeoutMs", ms(v["ready-timeout"]));
  set("health", v.health);
  set("healthIntervalMs", ms(v["health-interval"]));
  set("rise", v.rise === undefined ? undefined : Number(v.rise));
  set("fall", v.fall === undefined ? undefined : Number(v.fall));
  set("drainTimeoutMs", ms(v["drain-timeout"]));
  set("killGraceMs", ms(v["kill-grace"]));
  set("socketActivation", v["no-socket-activation"] ? false : undefined);
  set("logWorker", v["log-worker"]);
  return { options, reap: v.reap };
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseOptions(Deno.args);
  } catch (e) {
    jsonLine(Deno.stderr, { error: String(e) });
    return 2;
  }
  const logger = stderrLogger();
  const reapAll = parsed.reap === "auto" ? undefined : parsed.reap === "all";
  const spawner = new Spawner({
    clock: systemClock,
    logger,
    ...(reapAll === undefined ? {} : { reapAll }),
  });
  const sup = new Supervisor(parsed.options, {
    clock: systemClock,
    host: denoProcessHost,
    logger,
    spawner,
  });
  const stop = () => sup.stop();
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  try {
    await sup.start();
    return (await sup.exited).code;
  } catch (e) {
    jsonLine(Deno.stdout, { ev: "error", name: (e as Error).name, message: String(e) });
    if (e instanceof WorkerExitedError) return e.status.code === 0 ? 1 : e.status.code;
    if (e instanceof ReadyTimeoutError) return 1;
    return 1;
  } finally {
    jsonLine(Deno.stdout, { ev: "reaper", orphansReaped: spawner.reaper.orphansReaped });
  }
}

Deno.exit(await main());
