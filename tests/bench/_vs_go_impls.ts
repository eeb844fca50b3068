/**
 * The two implementations `tests/bench/vs_go.ts` runs side by side, behind one interface: shoal
 * (`shoal sidecar` / `shoal task`) and the Go shoal (`go-shoal sidecar` / `go-shoal task`), both
 * in a network namespace of their own (the Go shoal takes its gossip address from EC2 IMDS), both
 * with the same worker (`go-shoal/worker.py`, which logs when it is ready and when the first
 * request through HAProxy arrives) and the same HAProxy configuration.
 *
 * @module
 */

import { Cluster, serverOf } from "../_support/cluster_e2e.ts";
import type { HaproxyFiles } from "../_support/cluster_e2e.ts";
import { goNodeName, goWorker, NetNs, startGoSidecar, startGoTask } from "../_support/go_shoal.ts";
import type { ShoalProcess } from "../_support/shoal_process.ts";

/** Gossip address of either sidecar (each has its namespace to itself). */
export const SIDECAR_HOST = "127.0.0.10";
const SIDECAR_GOSSIP = `${SIDECAR_HOST}:7946`;

/** A started task: its process, its HAProxy server name and its worker's event log. */
export interface BenchTask {
  readonly name: string;
  readonly proc: ShoalProcess;
  readonly server: string;
  readonly events: string;
}

/** One implementation under test. */
export interface Impl {
  readonly label: string;
  readonly cluster: Cluster;
  /** Starts the sidecar supervising HAProxy; resolves to its process once HAProxy is up. */
  sidecar(files: HaproxyFiles): Promise<ShoalProcess>;
  /** Starts a task on `host`; resolves once its process runs (not once it is routable). */
  task(name: string, host: string, dir: string): Promise<BenchTask>;
  /** True when `status` (`show stat`) means HAProxy sends the server traffic. */
  inService(status: string | undefined): boolean;
  /** Kills every process, removes the namespace. */
  stop(): Promise<void>;
}

/** The drain timeout both implementations' tasks run with. */
export const DRAIN_TIMEOUT = "5s";

/** shoal: `shoal sidecar -- haproxy …` and `shoal task … -- python3 worker.py`. */
export async function shoalImpl(): Promise<Impl> {
  const ns = await NetNs.up("bench-ts");
  const cluster = new Cluster({ wrap: ns.wrap });
  return {
    label: "shoal",
    cluster,
    sidecar: (files) => cluster.sidecar({ name: "sidecar", host: SIDECAR_HOST, port: 7946, files }),
    async task(name, host, dir) {
      const events = `${dir}/${name}.jsonl`;
      const proc = await cluster.task({
        name,
        host,
        join: [SIDECAR_GOSSIP],
        drainTimeout: DRAIN_TIMEOUT,
        worker: goWorker(events, name),
      });
      return { name, proc, server: serverOf(name), events };
    },
    inService: (s) => s?.startsWith("UP") ?? false,
    async stop() {
      await cluster.stop();
      await ns.down();
    },
  };
}

/** The Go shoal: `go-shoal sidecar … -- haproxy …` and `go-shoal task … -- python3 worker.py`. */
export async function goImpl(): Promise<Impl> {
  const ns = await NetNs.up("bench-go");
  const cluster = new Cluster({ wrap: ns.wrap });
  return {
    label: "Go shoal",
    cluster,
    sidecar: (files) => startGoSidecar(cluster, ns, { ip: SIDECAR_HOST, files }),
    async task(name, host, dir) {
      const events = `${dir}/${name}.jsonl`;
      const proc = startGoTask(cluster, ns, {
        ip: host,
        join: SIDECAR_GOSSIP,
        worker: goWorker(events, name),
        backend: true,
        drainTimeout: DRAIN_TIMEOUT,
      });
      return { name, proc, server: await goNodeName(proc), events };
    },
    // It adds servers without health checks: HAProxy reports them "no check".
    inService: (s) => s === "no check" || (s?.startsWith("UP") ?? false),
    async stop() {
      await cluster.stop();
      await ns.down();
    },
  };
}

/** One event of the worker's log (`ready`, `first_haproxy`), `t` in epoch seconds. */
export interface WorkerEvent {
  readonly ev: string;
  readonly t: number;
  readonly pid: number;
}

/** The worker's events so far (empty while the file does not exist yet). */
export async function workerEvents(path: string): Promise<WorkerEvent[]> {
  let text = "";
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return [];
  }
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
}

/** Polls the worker's log every 10 ms until it has `ev`; resolves to that event. */
export async function waitEvent(
  path: string,
  ev: string,
  deadlineMs: number,
): Promise<WorkerEvent> {
  const end = performance.now() + deadlineMs;
  for (;;) {
    const hit = (await workerEvents(path)).find((e) => e.ev === ev);
    if (hit) return hit;
    if (performance.now() > end) throw new Error(`${path}: no ${ev} within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 10)); // the poll's pace
  }
}
