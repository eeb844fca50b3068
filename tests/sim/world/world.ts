/**
 * The simulated world: sidecars and tasks running the product's real `runSidecar` and `runTask`
 * (serf, registry, reconciler, task lifecycle) over a {@linkcode SimNetwork} and a
 * {@linkcode VirtualClock}, each sidecar next to a simulated HAProxy, each task supervising a
 * {@linkcode SimWorker}. Everything random comes from the seed.
 *
 * Processes are started from command lines parsed by the real CLI; the only differences from
 * production are the injected seams (clock, random source, logger, gossip transport, HAProxy
 * connector, stop signal, worker) and no RPC server.
 *
 * @module
 */

import { type Prng, seededPrng } from "../../../lib/clock.ts";
import type { RoleProbe } from "../../../lib/roles/role_probe.ts";
import { parseCommandLine } from "../../../lib/cli/program.ts";
import type { SidecarConfig, TaskConfig } from "../../../lib/config.ts";
import { HaproxyConnectionError } from "../../../lib/haproxy/errors.ts";
import type { RuntimeConn } from "../../../lib/haproxy/transport.ts";
import { runSidecar } from "../../../lib/roles/sidecar.ts";
import { runTask } from "../../../lib/roles/task.ts";
import type { SimNetwork, SimTransport } from "../../_support/sim_network.ts";
import type { VirtualClock } from "../../_support/virtual_clock.ts";
import { SimAdminSocket } from "../haproxy/cli.ts";
import { type HaproxyFlavour, SimHaproxy } from "../haproxy/model.ts";
import { ProcessClock } from "./process_clock.ts";
import { SimWorker } from "./sim_worker.ts";
import { Trace, TraceLogger } from "./trace.ts";

export const BACKEND = "be_app";
export const GOSSIP_PORT = 7946;
export const WORKER_PORT = 8080;
/** The task flags that matter to the invariants. */
export const TASK_DRAIN_TIMEOUT_MS = 5000;
export const TASK_KILL_TIMEOUT_MS = 3000;
/** The wall-clock time at virtual time 0 (2026-01-01T00:00:00Z). */
export const SIM_EPOCH_MS = Date.UTC(2026, 0, 1);

/** One simulated OS process running a role. */
export interface SimProcess {
  readonly clock: ProcessClock;
  readonly startedMs: number;
  transport: SimTransport | null;
  readonly conns: Set<RuntimeConn>;
  /** Resolves the role's stop signal (a graceful stop). */
  stop(): void;
  readonly signal: Promise<string>;
  /** Set when the role returned. */
  exitCode: number | undefined;
  stopRequestedMs: number | undefined;
  /** When the role logged that it is stopping (asked to, or on its own). */
  stoppingMs: number | undefined;
  /** The role's table and queue sizes, once its gossip member runs. */
  probe?: RoleProbe;
}

/** A sidecar's host: the HAProxy outlives sidecar processes. */
export interface SidecarHost {
  readonly index: number;
  readonly addr: string;
  readonly hap: SimHaproxy;
  readonly socket: SimAdminSocket;
  generation: number;
  name: string;
  proc: SimProcess | null;
}

/** A task's host; each generation is a new task process (and node name) at the same address. */
export interface TaskHost {
  readonly index: number;
  readonly addr: string;
  generation: number;
  name: string;
  proc: SimProcess | null;
  worker: SimWorker | null;
  /** A worker whose task process was killed without it (see `World.crashTaskParent`). */
  orphan: SimWorker | null;
  /** When the current worker stopped serving (for the detection bound). */
  notServingSinceMs: number;
  /** A spare host: only a name clash starts a task here (with a live task's node name). */
  readonly spare: boolean;
}

/** Settings of a {@linkcode World}. */
export interface WorldOptions {
  readonly seed: number;
  readonly clock: VirtualClock;
  readonly net: SimNetwork;
  readonly sidecars: number;
  readonly tasks: number;
  /** Spare task hosts (10.0.3.x) that only name-clash faults use. @default 1 */
  readonly spares?: number;
  /** @default "2.6" */
  readonly flavour?: HaproxyFlavour;
  /** Keep every trace line. @default false */
  readonly keepTrace?: boolean;
  /** The sidecars' `--slowstart` (0: none). @default 0 */
  readonly slowstartMs?: number;
}

const parseDeps = { env: () => undefined, hostname: () => "sim", version: "sim" };

/** Sidecars, tasks and their HAProxies on one network and clock. */
export class World {
  readonly seed: number;
  readonly clock: VirtualClock;
  readonly net: SimNetwork;
  readonly trace: Trace;
  readonly prng: Prng;
  readonly sidecars: SidecarHost[] = [];
  readonly tasks: TaskHost[] = [];
  /** Called by the workers and HAProxies for invariants; set by the checker. */
  observer: WorldObserver = {};
  #pids = 100;
  /** The sidecars' `--slowstart` (0: none). */
  readonly slowstartMs: number;

  constructor(o: WorldOptions) {
    this.seed = o.seed;
    this.clock = o.clock;
    this.net = o.net;
    this.trace = new Trace(o.clock, o.keepTrace ?? false);
    this.prng = seededPrng(o.seed * 7919 + 1);
    this.slowstartMs = o.slowstartMs ?? 0;
    for (let i = 0; i < o.sidecars; i++) {
      const addr = `10.0.1.${i + 1}`;
      const hap = new SimHaproxy({
        clock: o.clock,
        flavour: o.flavour ?? "2.6",
        backends: [{ name: BACKEND }],
        probe: (a, port) => this.#probe(addr, a, port),
        pid: 1000 * (i + 1),
      });
      const socket = new SimAdminSocket(hap, o.clock);
      hap.onDelete = (s) => this.trace.add(`hap-${i} del ${s.name}`);
      hap.onSessionsCut = (s) => this.observer.sessionsCut?.(i, s.addr, s.port);
      this.sidecars.push({ index: i, addr, hap, socket, generation: 0, name: "", proc: null });
    }
    const spares = o.spares ?? 1;
    for (let i = 0; i < o.tasks + spares; i++) {
      const spare = i >= o.tasks;
      const addr = spare ? `10.0.3.${i - o.tasks + 1}` : `10.0.2.${i + 1}`;
      this.tasks.push({
        index: i,
        addr,
        generation: 0,
        name: "",
        proc: null,
        worker: null,
        orphan: null,
        notServingSinceMs: 0,
        spare,
      });
    }
  }

  /** A random integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.prng() * n);
  }

  /** Starts a new sidecar process (a new generation with a new node name) on host `i`. */
  startSidecar(i: number): void {
    const h = this.sidecars[i]!;
    if (h.proc) throw new Error(`sidecar ${i} already running`);
    h.generation++;
    h.name = `sidecar-${i}-g${h.generation}`;
    const others = this.sidecars.filter((s) => s.index !== i).map((s) => s.addr);
    const argv = ["sidecar", "--node", h.name, "--bind", `${h.addr}:${GOSSIP_PORT}`, "--insecure"]
      .concat(others.length ? ["--join", others.join(",")] : [])
      .concat(["--haproxy-socket", `/sim/${i}/admin.sock`, "--haproxy-backend", BACKEND])
      .concat(["--drain-timeout", "10s", "--orphan-grace", "10s"])
      .concat(this.slowstartMs > 0 ? ["--slowstart", `${this.slowstartMs}ms`] : []);
    const config = this.#parse(argv) as SidecarConfig;
    const proc = this.#process();
    h.proc = proc;
    this.trace.add(`world start ${h.name}`);
    const connector = async () => {
      if (!proc.clock.alive) throw new HaproxyConnectionError("process is dead");
      const c = await h.socket.connector()();
      proc.conns.add(c);
      return c;
    };
    runSidecar({ ...config, gossip: { ...config.gossip, rpcAddr: null } }, {
      ...this.#seams(proc, h.name, h.addr, h.index * 1000 + h.generation),
      connector,
    }).then((code) => this.#exited(proc, h.name, code));
  }

  /** Starts a new task process (a new node name) on host `i`. */
  startTask(
    i: number,
    opts: { readyDelayMs?: number; stopDelayMs?: number | null; name?: string } = {},
  ): void {
    const h = this.tasks[i]!;
    if (h.proc) throw new Error(`task ${i} already running`);
    if (h.orphan) {
      this.trace.add(`world reap orphan worker ${h.orphan.pid} on ${h.addr}`);
      h.orphan.killSilently();
      h.orphan = null;
    }
    h.generation++;
    h.name = opts.name ?? `task-${i}-g${h.generation}`;
    const argv = ["task", "--node", h.name, "--bind", `${h.addr}:${GOSSIP_PORT}`, "--insecure"]
      .concat(["--join", this.sidecars.map((s) => s.addr).join(",")])
      .concat(["--listen-addr", `${h.addr}:${WORKER_PORT}`, "--ready", "delay:1s"])
      .concat(["--drain-timeout", `${TASK_DRAIN_TIMEOUT_MS}ms`])
      .concat(["--kill-timeout", `${TASK_KILL_TIMEOUT_MS}ms`, "--", "sim-worker"]);
    const config = this.#parse(argv) as TaskConfig;
    const proc = this.#process();
    h.proc = proc;
    const name = h.name;
    this.trace.add(`world start ${name}`);
    const readyDelayMs = opts.readyDelayMs ?? 300 + this.int(2000);
    const stopDelayMs = opts.stopDelayMs === undefined ? 50 + this.int(500) : opts.stopDelayMs;
    runTask(config, {
      ...this.#seams(proc, name, h.addr, 100_000 + h.index * 1000 + h.generation),
      // outside AWS: no ECS variables, and no metadata service answers
      metadata: {
        env: () => undefined,
        fetch: () => Promise.reject(new TypeError("no metadata service in the simulation")),
        interfaces: () => [],
      },
      worker: (onEvent) => {
        const w = new SimWorker({
          clock: proc.clock,
          pid: this.#pids++,
          port: WORKER_PORT,
          readyDelayMs,
          stopDelayMs,
          killTimeoutMs: TASK_KILL_TIMEOUT_MS,
          onEvent,
          observe: (what) => {
            this.trace.add(`worker ${name} ${what}`);
            if (what === "exited" && h.worker === w) h.notServingSinceMs = this.clock.nowMs();
            this.observer.worker?.(h, w, what);
          },
        });
        h.worker = w;
        return w;
      },
    }).then((code) => this.#exited(proc, name, code));
  }

  /** Asks a running process to stop gracefully (SIGTERM). */
  stop(proc: SimProcess | null, name: string): void {
    if (!proc || proc.stopRequestedMs !== undefined || !proc.clock.alive) return;
    proc.stopRequestedMs = this.clock.nowMs();
    this.trace.add(`world sigterm ${name}`);
    proc.stop();
  }

  /** Kills sidecar `i`'s process (SIGKILL); its HAProxy keeps running. */
  crashSidecar(i: number): void {
    const h = this.sidecars[i]!;
    if (!h.proc) return;
    this.trace.add(`world kill ${h.name}`);
    this.#kill(h.proc);
    h.proc = null;
  }

  /** Freezes a running process for `ms` (SIGSTOP and SIGCONT later); its worker keeps serving. */
  freeze(proc: SimProcess | null, name: string, ms: number): void {
    if (!proc || !proc.clock.alive) return;
    this.trace.add(`world freeze ${name} for ${ms} ms`);
    proc.clock.freeze(ms);
  }

  /** Kills task `i`'s process (SIGKILL) and its worker with it. */
  crashTask(i: number): void {
    const h = this.tasks[i]!;
    if (!h.proc) return;
    this.trace.add(`world kill ${h.name}`);
    this.#kill(h.proc);
    h.worker?.killSilently();
    h.orphan?.killSilently();
    h.orphan = null;
    h.proc = null;
  }

  /**
   * Kills task `i`'s process (SIGKILL) but not its worker: what happens where `setpriv` (for
   * `--pdeathsig`) is missing, so the product could only warn. The orphaned worker keeps serving
   * until the host reaps it, which it does before the next task there binds the worker's port.
   */
  crashTaskParent(i: number): void {
    const h = this.tasks[i]!;
    if (!h.proc) return;
    this.trace.add(`world kill ${h.name} (parent only, worker ${h.worker?.pid ?? "none"} stays)`);
    this.#kill(h.proc);
    h.orphan = h.worker;
    h.proc = null;
  }

  /** Frees a host whose process has exited by itself. */
  reap(): void {
    for (const h of [...this.sidecars, ...this.tasks]) {
      if (h.proc && h.proc.exitCode !== undefined) h.proc = null;
    }
  }

  #kill(p: SimProcess): void {
    p.clock.kill();
    void p.transport?.close();
    for (const c of p.conns) c.close();
    p.conns.clear();
  }

  #process(): SimProcess {
    let resolve!: (s: string) => void;
    const signal = new Promise<string>((r) => (resolve = r));
    const proc: SimProcess = {
      clock: new ProcessClock(this.clock),
      startedMs: this.clock.nowMs(),
      transport: null,
      conns: new Set(),
      stop: () => resolve("SIGTERM"),
      signal,
      exitCode: undefined,
      stopRequestedMs: undefined,
      stoppingMs: undefined,
    };
    return proc;
  }

  #seams(proc: SimProcess, name: string, host: string, stream: number) {
    const signal = proc.signal;
    return {
      clock: proc.clock,
      prng: seededPrng(this.seed * 104_729 + stream),
      logger: new TraceLogger(
        this.trace,
        { proc: `${name}@${host}` },
        (level, event) => {
          if (event === "task.stopping" || event === "sidecar.stopping") {
            proc.stoppingMs ??= this.clock.nowMs();
          }
          this.observer.log?.(name, level, event);
        },
      ),
      stop: { signal, dispose() {} },
      onStarted: (probe: RoleProbe) => void (proc.probe = probe),
      gossip: {
        listen: (bind: { host: string; port: number }) => {
          const t = this.net.transport(bind);
          proc.transport = t;
          // Inbound traffic waits while the process is frozen.
          const start = t.start.bind(t);
          t.start = (h) =>
            start({
              onPacket: (bytes, from, atMs) => proc.clock.run(() => h.onPacket(bytes, from, atMs)),
              onStream: (conn) => proc.clock.run(() => h.onStream(conn)),
            });
          return t;
        },
        // The machine's wall clock (log and `serf monitor` time stamps): virtual time too.
        wallMs: () => SIM_EPOCH_MS + this.clock.nowMs(),
        advertise: (cfg: { bind: { host: string } }) =>
          Promise.resolve({ host: cfg.bind.host, source: "sim" }),
        resolveHost: (n: string) => Promise.resolve([n]),
      },
    };
  }

  #exited(proc: SimProcess, name: string, code: number): void {
    if (!proc.clock.alive) return;
    proc.exitCode = code;
    this.trace.add(`world exited ${name} code=${code}`);
    this.#kill(proc);
  }

  #parse(argv: string[]): SidecarConfig | TaskConfig {
    const r = parseCommandLine(argv, parseDeps);
    if (r.kind !== "run") throw new Error(`Bad simulated command line ${argv.join(" ")}`);
    return r.config as SidecarConfig | TaskConfig;
  }

  /** HAProxy on `from` checks `addr:port`: a serving worker there that the network lets through. */
  #probe(from: string, addr: string, port: number): boolean {
    const h = this.tasks.find((t) => t.addr === addr);
    if (!h || port !== WORKER_PORT || !h.worker?.serving) return false;
    return !this.net.blockedEither({ host: from, port: GOSSIP_PORT }, {
      host: addr,
      port: GOSSIP_PORT,
    });
  }
}

/** Hooks the invariant checker listens on. */
export interface WorldObserver {
  worker?(h: TaskHost, w: SimWorker, what: "sigterm" | "exited"): void;
  sessionsCut?(sidecar: number, addr: string, port: number): void;
  /** A product log event at `info` or above. */
  log?(process: string, level: string, event: string): void;
}
