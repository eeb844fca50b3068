/**
 * The setups the end-to-end tests and benchmarks (tests/e2e, tests/bench/e2e.ts,
 * tests/bench/replace.ts) start from, written once: a sidecar supervising its HAProxy with the
 * tasks joined to it, or an HAProxy started outside the sidecar.
 *
 * @module
 */

import type { RuntimeClient } from "../../lib/haproxy/client.ts";
import {
  BACKEND,
  Cluster,
  freePortOn,
  gossipAddr,
  type HaproxyConfigOptions,
  type HaproxyFiles,
  haproxyReader,
  upExactly,
  writeHaproxyConfig,
} from "./cluster_e2e.ts";
import { HaproxyProcess } from "./haproxy.ts";
import type { ShoalProcess } from "./shoal_process.ts";
import { waitFor } from "./wait.ts";

/** A {@linkcode Cluster} with one sidecar named `sidecar` that supervises its HAProxy. */
export interface SidecarSetup {
  readonly cluster: Cluster;
  readonly files: HaproxyFiles;
  /** Reads HAProxy's servers through its admin socket. */
  readonly hap: RuntimeClient;
  readonly sidecar: ShoalProcess;
  /** The sidecar's gossip address, for tasks to join. */
  readonly join: readonly string[];
  /** Closes the reader and stops every process of the cluster. */
  stop(): Promise<void>;
}

/**
 * Writes an HAProxy configuration whose frontend listens on `host` (a free port) and starts a
 * sidecar on `host` supervising it. On failure, what was started is stopped.
 */
export async function startSidecar(
  host: string,
  haproxy: Omit<HaproxyConfigOptions, "web"> = {},
): Promise<SidecarSetup> {
  const cluster = new Cluster();
  const files = await writeHaproxyConfig({ web: `${host}:${freePortOn(host)}`, ...haproxy });
  const hap = haproxyReader(files.socket);
  const stop = async () => {
    await hap.close();
    await cluster.stop();
  };
  try {
    const sidecar = await cluster.sidecar({ name: "sidecar", host, files });
    return { cluster, files, hap, sidecar, join: [await gossipAddr(sidecar)], stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Starts a task per name (the i-th on `hostOf(i)`) joined to the setup's sidecar, and waits
 * until exactly those servers are UP in HAProxy.
 */
export async function startTasksUp(
  setup: SidecarSetup,
  o: { names: readonly string[]; hostOf: (i: number) => string; upWithinMs: number },
): Promise<ShoalProcess[]> {
  const tasks = await Promise.all(
    o.names.map((name, i) => setup.cluster.task({ name, host: o.hostOf(i), join: setup.join })),
  );
  await waitFor(`${o.names.join(", ")} UP`, () => upExactly(setup.hap, o.names), o.upWithinMs);
  return tasks;
}

/** An HAProxy started outside any sidecar (the sidecar runs with `supervise: false`). */
export interface ExternalHaproxy {
  readonly haproxy: HaproxyProcess;
  /** The files a sidecar is given for it (no frontend URL: use `haproxy.url(BACKEND)`). */
  readonly files: HaproxyFiles;
  /** Reads HAProxy's servers through its admin socket. */
  readonly reader: RuntimeClient;
}

/** Starts HAProxy with the `shoal` backend (HTTP checks on `/`, plus `lines`) on its own. */
export async function startExternalHaproxy(o: {
  dirPrefix: string;
  backendLines?: readonly string[];
  globalLines?: readonly string[];
  defaultsLines?: readonly string[];
}): Promise<ExternalHaproxy> {
  const haproxy = await HaproxyProcess.start({
    backends: [{ name: BACKEND, lines: ["option httpchk GET /", ...(o.backendLines ?? [])] }],
    ...(o.globalLines ? { globalLines: [...o.globalLines] } : {}),
    ...(o.defaultsLines ? { defaultsLines: [...o.defaultsLines] } : {}),
    dirPrefix: o.dirPrefix,
  });
  const files = {
    dir: haproxy.dir,
    cfg: `${haproxy.dir}/haproxy.cfg`,
    socket: haproxy.socketPath,
    url: "",
  };
  return { haproxy, files, reader: haproxyReader(haproxy.socketPath) };
}
