/**
 * One load-generator process of the scale benchmark: hosts a range of the swarm's members
 * (`_task_swarm.ts`) in its own event loop and obeys the benchmark over stdin / stdout, one JSON
 * object a line each way (see `_scale_procs.ts`, which starts and drives these processes).
 *
 *   deno run -A tests/bench/_scale_gen.ts <net> <first>
 *
 * Requests: `{"op":"grow","count":N,"join":"host:port","intervalMs":I}` (start N more
 * members, one every I ms, each joining and then announcing), `{"op":"depart","count":N,"budgetMs":B}` (the last N members depart at once),
 * `{"op":"health"}`, `{"op":"stop"}`. Each answer carries the worst event-loop lag (ms) since the previous one, the
 * process's CPU time (ms) and RSS (MB), so the benchmark can tell an overloaded generator from a
 * slow sidecar.
 *
 * @module
 */

import { type SwarmTask, TaskSwarm } from "./_task_swarm.ts";

/** A request from the benchmark. */
export type GenRequest =
  | {
    readonly op: "grow";
    readonly count: number;
    readonly join: string;
    /** Between two members' starts. */
    readonly intervalMs: number;
  }
  | { readonly op: "depart"; readonly count: number; readonly budgetMs: number }
  | { readonly op: "health" }
  | { readonly op: "stop" };

/** What every answer carries about the generator itself. */
export interface GenHealth {
  readonly lagMs: number;
  readonly cpuMs: number;
  readonly rssMb: number;
}

/** The answer to `grow`. */
export interface GrowAnswer extends GenHealth {
  readonly op: "grow";
  readonly names: string[];
  readonly joinRetries: number;
  readonly rounds: number;
  readonly refusals: Record<string, number>;
  readonly failed: string[];
  /** Epoch ms of the last accepted announce (0: none). */
  readonly lastAcceptedAt: number;
  /** The check responders' processes (`_scale_checks.ts`), killed with the generator on ^C. */
  readonly responderPids: number[];
}

/** The answer to `depart`. */
export interface DepartAnswer extends GenHealth {
  readonly op: "depart";
  readonly names: string[];
  readonly expected: number;
  readonly answered: number;
  readonly unanswered: number;
  readonly slowestMs: number;
  /** How long each depart took to be answered (or to give up), ms. */
  readonly elapsedMs: number[];
  /** Epoch ms when the departs were sent, and when the last was answered or gave up. */
  readonly startedAt: number;
  readonly doneAt: number;
}

/** An answer of the generator (`error` when a request failed). */
export type GenAnswer =
  | GrowAnswer
  | DepartAnswer
  | (GenHealth & {
    readonly op: "health" | "stop" | "error";
    readonly message?: string;
  });

type Announced = Awaited<ReturnType<TaskSwarm["announce"]>> & { names: string[] };

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

function health(lag: () => number): GenHealth {
  const status = Deno.readTextFileSync("/proc/self/status");
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(f[11]) + Number(f[12]); // utime + stime, in 1/100 s
  return {
    lagMs: Math.round(lag()),
    cpuMs: ticks * 10,
    rssMb: Number(status.match(/^VmRSS:\s+(\d+) kB/m)?.[1]) / 1024,
  };
}

async function handle(swarm: TaskSwarm, req: GenRequest, lag: () => number): Promise<GenAnswer> {
  if (req.op === "grow") {
    // Paced: one member every intervalMs, each announcing as soon as it has joined (as a task
    // does), so the gossip of a thousand joins is spread over time rather than all at once.
    await swarm.prepare(req.count);
    const runs: Promise<Announced>[] = [];
    for (let k = 0; k < req.count; k++) {
      if (k > 0 && req.intervalMs > 0) await new Promise((r) => setTimeout(r, req.intervalMs));
      runs.push(
        swarm.grow(1, req.join).then(async (grown) => ({
          names: grown.map((t) => t.name),
          ...await swarm.announce(grown),
        }), (err) => ({ // could not join: reported as failed, not an unhandled rejection
          names: [],
          rounds: 0,
          refusals: new Map([[String(err), 1]]),
          failed: [String(err)],
          lastAcceptedAt: 0,
        })),
      );
    }
    const done = await Promise.all(runs);
    const refusals: Record<string, number> = {};
    for (const d of done) {
      for (const [k, v] of d.refusals) refusals[k] = (refusals[k] ?? 0) + v;
    }
    return {
      op: "grow",
      names: done.flatMap((d) => d.names),
      joinRetries: swarm.joinRetries,
      rounds: done.reduce((n, d) => n + d.rounds, 0),
      refusals,
      failed: done.flatMap((d) => d.failed),
      lastAcceptedAt: Math.max(0, ...done.map((d) => d.lastAcceptedAt)),
      responderPids: swarm.responderPids,
      ...health(lag),
    };
  }
  if (req.op === "depart") {
    const leaving: SwarmTask[] = swarm.tasks.slice(-req.count);
    const startedAt = Date.now();
    const rounds = await swarm.depart(leaving, req.budgetMs);
    return {
      op: "depart",
      names: leaving.map((t) => t.name),
      expected: rounds.reduce((n, r) => n + r.expected, 0),
      answered: rounds.reduce((n, r) => n + r.answered, 0),
      unanswered: rounds.filter((r) => r.answered < r.expected).length,
      slowestMs: Math.max(0, ...rounds.map((r) => r.elapsedMs)),
      elapsedMs: rounds.map((r) => Math.round(r.elapsedMs)),
      startedAt,
      doneAt: Date.now(),
      ...health(lag),
    };
  }
  if (req.op === "health") return { op: "health", ...health(lag) };
  await swarm.stop();
  return { op: "stop", ...health(lag) };
}

async function main(): Promise<void> {
  const swarm = new TaskSwarm(Number(Deno.args[0]), Number(Deno.args[1] ?? 0));
  const lag = lagMonitor();
  if (Deno.env.get("SCALE_TRACE")) {
    // The worst lag of every 2 s, when it is worth a line (to stderr: stdout answers).
    const trace = lagMonitor();
    const id = setInterval(() => {
      const ms = trace();
      if (ms > 100) console.error(`gen ${Deno.args[1]}: ${new Date().toISOString()} lag ${ms} ms`);
    }, 2000);
    Deno.unrefTimer(id);
  }
  const out = new TextEncoder();
  const reply = (a: GenAnswer) => Deno.stdout.writeSync(out.encode(JSON.stringify(a) + "\n"));
  let buf = "";
  const td = new TextDecoder();
  for await (const chunk of Deno.stdin.readable) {
    buf += td.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const req = JSON.parse(buf.slice(0, nl)) as GenRequest;
      buf = buf.slice(nl + 1);
      try {
        reply(await handle(swarm, req, lag));
      } catch (err) {
        reply({ op: "error", message: String(err), ...health(lag) });
      }
      if (req.op === "stop") Deno.exit(0);
    }
  }
  // The benchmark went away: close the members and exit.
  await swarm.stop();
  Deno.exit(0);
}

if (import.meta.main) await main();
