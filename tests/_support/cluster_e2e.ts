/**
 * End-to-end cluster helpers: real `shoal sidecar` and `shoal task` processes (through
 * {@linkcode startShoal}), a real HAProxy (under the sidecar or started by the test), the demo's
 * HTTP worker, a fixed-rate load loop through HAProxy (`load.ts`), and cleanup that kills every process a test
 * started — by process id, descendants included (a SIGKILLed sidecar leaves its HAProxy behind,
 * a SIGKILLed task its worker).
 *
 * Addresses: every test file picks its own `127.90.<file>.<node>` range, so files running in
 * parallel never share an address.
 *
 * @module
 */

import { RuntimeClient, serverNameFor, type StatRow } from "../../lib/haproxy/mod.ts";
import { type ShoalProcess, type ShoalStartOptions, startShoal } from "./shoal_process.ts";
import { freePortOn } from "./ports.ts";
import { haproxyBinary } from "./haproxy.ts";
import { killTree } from "./proc_tree.ts";
import { systemClock } from "../../lib/clock.ts";

export { children, descendants, killTree } from "./proc_tree.ts";
export { Load, type LoadOptions, type LoadResult } from "./load.ts";

/** The demo worker: answers every request with `hello from $DEMO_TASK`, drains on SIGTERM. */
export const DEMO_WORKER = new URL("../../examples/demo_worker.ts", import.meta.url).pathname;
/** The backend every e2e configuration routes to. */
export const BACKEND = "shoal";

export { freePortOn };

/**
 * The `server-template` line of examples/haproxy/haproxy.cfg (slot mode), so tests and benchmarks
 * run the slots the example ships.
 */
export const EXAMPLE_SLOT_LINE: string = (() => {
  const cfg = new URL("../../examples/haproxy/haproxy.cfg", import.meta.url);
  const line = Deno.readTextFileSync(cfg).split("\n").find((l) => /^\s*server-template /.test(l));
  if (line === undefined) throw new Error("examples/haproxy/haproxy.cfg has no server-template");
  return line.trim().replace(/ 1-\d+ /, " 1-8 "); // 8 slots are plenty here
})();

/** The slot-mode lines: the example's slots, the server-state file in `dir`, keep-alive on reload. */
export const SLOT_MODE = {
  backendLines: [EXAMPLE_SLOT_LINE],
  globalLines: ["server-state-file {dir}/server-state"],
  defaultsLines: ["load-server-state-from-file global", "option idle-close-on-response"],
} as const;

/** Options of {@linkcode writeHaproxyConfig}. */
export interface HaproxyConfigOptions {
  /** Frontend address, `host:port`; without it the frontend listens on `<dir>/web.sock`. */
  readonly web?: string;
  /** Extra lines of every frontend section (after `bind`). */
  readonly frontendLines?: readonly string[];
  /** Extra lines of every backend section (after `balance` and `option httpchk`). */
  readonly backendLines?: readonly string[];
  /** More backends, each with its own frontend address (`host:port`). */
  readonly more?: readonly { readonly backend: string; readonly web: string }[];
  /** Extra lines of `global`; `{dir}` stands for the configuration's directory. */
  readonly globalLines?: readonly string[];
  /** Extra lines of `defaults`. */
  readonly defaultsLines?: readonly string[];
}

/** A generated HAProxy configuration in a temporary directory. */
export interface HaproxyFiles {
  readonly dir: string;
  readonly cfg: string;
  readonly socket: string;
  /** The frontend URL (`http://localhost/` for a UNIX socket frontend). */
  readonly url: string;
  /** The frontend's UNIX socket, when it has one (fetch it through {@linkcode unixClient}). */
  readonly webSocket?: string;
}

/** Writes a configuration with an admin socket, one frontend and the `shoal` backend. */
export async function writeHaproxyConfig(o: HaproxyConfigOptions): Promise<HaproxyFiles> {
  const dir = await Deno.makeTempDir({ prefix: "shoal-e2e-" });
  const socket = `${dir}/admin.sock`;
  const cfg = `${dir}/haproxy.cfg`;
  const webSocket = o.web === undefined ? `${dir}/web.sock` : undefined;
  const pairs = [{ backend: BACKEND, web: o.web ?? webSocket! }, ...(o.more ?? [])];
  const sections = pairs.flatMap(({ backend, web }) => [
    `frontend fe_${backend}`,
    `  bind ${web}`,
    ...(o.frontendLines ?? []).map((l) => `  ${l}`),
    `  default_backend ${backend}`,
    `backend ${backend}`,
    "  balance roundrobin",
    "  option httpchk GET /",
    ...(o.backendLines ?? []).map((l) => `  ${l}`),
  ]);
  await Deno.writeTextFile(
    cfg,
    [
      "global",
      `  stats socket ${socket} mode 600 level admin`,
      "  stats timeout 10s",
      ...(o.globalLines ?? []).map((l) => `  ${l.replaceAll("{dir}", dir)}`),
      "defaults",
      "  mode http",
      "  timeout connect 1s",
      "  timeout client 10s",
      "  timeout server 10s",
      ...(o.defaultsLines ?? []).map((l) => `  ${l}`),
      ...sections,
      "",
    ].join("\n"),
  );
  return webSocket === undefined
    ? { dir, cfg, socket, url: `http://${o.web}/` }
    : { dir, cfg, socket, url: "http://localhost/", webSocket };
}

/** An HTTP client that sends every request to the UNIX socket `path` (a frontend in a netns). */
export function unixClient(path: string): Deno.HttpClient {
  return Deno.createHttpClient({ proxy: { transport: "unix", path } });
}

/** Options of {@linkcode Cluster.sidecar}. */
export interface SidecarOptions {
  readonly name: string;
  readonly host: string;
  readonly files: HaproxyFiles;
  /** Run HAProxy under the sidecar (`-- haproxy -W -db -f cfg`). @default true */
  readonly supervise?: boolean;
  /** Gossip port. @default 0 (ephemeral; read it from {@linkcode gossipAddr}) */
  readonly port?: number;
  readonly join?: readonly string[];
  readonly extra?: readonly string[];
  /** The HAProxy binary run under the sidecar. @default "haproxy" */
  readonly haproxy?: string;
}

/** Options of {@linkcode Cluster.task}. */
export interface TaskOptions {
  readonly name: string;
  readonly host: string;
  /** Gossip addresses to join. */
  readonly join: readonly string[];
  /** @default "5s" */
  readonly drainTimeout?: string;
  /** Serve /metrics on an ephemeral port. @default true */
  readonly metrics?: boolean;
  readonly extra?: readonly string[];
  /** The worker command. @default the demo worker, answering `hello from <name>` */
  readonly worker?: readonly string[];
  /** More environment variables for the task. */
  readonly env?: Readonly<Record<string, string>>;
}

/** What every shoal process of a {@linkcode Cluster} runs with (benchmarks change these). */
export interface ClusterOptions extends ShoalStartOptions {
  /** Environment over the defaults (JSON logs at debug level). */
  readonly env?: Record<string, string>;
}

/** The processes of one test; {@linkcode Cluster.stop} kills all of them. */
export class Cluster {
  readonly #procs: ShoalProcess[] = [];
  readonly #dirs: string[] = [];
  readonly #start: ShoalStartOptions;
  readonly #env: Record<string, string>;

  /**
   * `start.wrap` runs every shoal process under a prefix (e.g. `ip netns exec NAME`); benchmarks
   * also change the entry point, the `deno run` flags and the environment.
   */
  constructor(start: ClusterOptions = {}) {
    const { env = {}, ...rest } = start;
    this.#start = rest;
    this.#env = env;
  }

  /** Starts `shoal sidecar`; resolves once it manages HAProxy (`sidecar.running`). */
  async sidecar(o: SidecarOptions): Promise<ShoalProcess> {
    this.#dirs.push(o.files.dir);
    const args = [
      "sidecar",
      `--node=${o.name}`,
      `--bind=${o.host}:${o.port ?? 0}`,
      "--rpc-addr=",
      `--metrics-addr=${o.host}:0`,
      `--haproxy-socket=${o.files.socket}`,
      `--haproxy-backend=${BACKEND}`,
      ...(o.join ?? []).map((j) => `--join=${j}`),
      ...(o.extra ?? []),
    ];
    if (o.supervise ?? true) {
      args.push("--", o.haproxy ?? haproxyBinary(), "-W", "-db", "-f", o.files.cfg);
    }
    const proc = this.track(startShoal(args, this.#env, this.#start));
    await proc.waitForLog("sidecar.running", undefined, 30_000);
    return proc;
  }

  /** Starts `shoal task` with the demo worker; resolves once it is announced (`task.announce.accepted`). */
  async task(o: TaskOptions): Promise<ShoalProcess> {
    const proc = this.track(startShoal(
      [
        "task",
        `--node=${o.name}`,
        `--bind=${o.host}:0`,
        "--rpc-addr=",
        ...(o.metrics ?? true ? [`--metrics-addr=${o.host}:0`] : []),
        `--listen-addr=${o.host}:0`,
        `--drain-timeout=${o.drainTimeout ?? "5s"}`,
        ...o.join.map((j) => `--join=${j}`),
        ...(o.extra ?? []),
        "--",
        ...(o.worker ?? [Deno.execPath(), "run", "-A", DEMO_WORKER]),
      ],
      { ...this.#env, DEMO_TASK: o.name, ...o.env },
      this.#start,
    ));
    await proc.waitForLog("task.announce.accepted", undefined, 30_000);
    return proc;
  }

  /** Adds a process to the ones {@linkcode stop} kills. */
  track(proc: ShoalProcess): ShoalProcess {
    this.#procs.push(proc);
    return proc;
  }

  /** SIGKILLs every process and its descendants, waits for them, removes the temporary dirs. */
  async stop(): Promise<void> {
    for (const p of this.#procs) killTree(p.pid, "SIGKILL");
    await Promise.all(this.#procs.map((p) => p.stop()));
    for (const dir of this.#dirs) await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** The address a shoal process gossips on, from its `gossip.started` line. */
export async function gossipAddr(proc: ShoalProcess): Promise<string> {
  return String((await proc.waitForLog("gossip.started")).bind);
}

/** The `host:port` of a process's `/metrics` server, from its `metrics.serving` line. */
export async function metricsAddr(proc: ShoalProcess): Promise<string> {
  return String((await proc.waitForLog("metrics.serving")).addr);
}

/** The pid of a task's worker, from its `task.ready` line. */
export async function workerPid(task: ShoalProcess): Promise<number> {
  return Number((await task.waitForLog("task.ready")).pid);
}

/** A reader of HAProxy's state, one connection per command (it survives HAProxy restarts). */
export function haproxyReader(socketPath: string): RuntimeClient {
  return new RuntimeClient({ clock: systemClock, socketPath, mode: "per-command" });
}

/** The managed servers of the backend as HAProxy reports them (`show stat`). */
export async function servers(client: RuntimeClient): Promise<StatRow[]> {
  return (await client.stat(BACKEND)).filter((r) => r.kind === "server");
}

/** The HAProxy server name of a task node. */
export function serverOf(node: string): string {
  return serverNameFor(node);
}

/**
 * Polls HAProxy every 20 ms until the status of `node`'s server (undefined when absent)
 * satisfies `cond`; resolves to the time it did (`performance.now()`), or throws after
 * `deadlineMs`.
 */
export function whenServer(
  client: RuntimeClient,
  node: string,
  cond: (status: string | undefined) => boolean,
  deadlineMs: number,
): Promise<number> {
  return whenServerNamed(client, serverOf(node), cond, deadlineMs);
}

/** {@linkcode whenServer} by HAProxy server name (the Go shoal names servers by node name). */
export async function whenServerNamed(
  client: RuntimeClient,
  server: string,
  cond: (status: string | undefined) => boolean,
  deadlineMs: number,
): Promise<number> {
  const end = performance.now() + deadlineMs;
  for (;;) {
    const row = (await servers(client)).find((s) => s.service === server);
    if (cond(row?.status)) return performance.now();
    if (performance.now() > end) {
      throw new Error(`Timed out after ${deadlineMs} ms: server ${server} is ${row?.status}`);
    }
    await new Promise((r) => setTimeout(r, 20)); // the poll's pace
  }
}

/** True when every node in `nodes` has an UP server (and nothing else is UP when `only`). */
export async function upExactly(client: RuntimeClient, nodes: readonly string[]): Promise<boolean> {
  const up = (await servers(client)).filter((r) => r.status.startsWith("UP")).map((r) => r.service);
  const want = nodes.map(serverOf);
  return up.length === want.length && want.every((n) => up.includes(n));
}
