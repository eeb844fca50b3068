/**
 * The setups the end-to-end tests and benchmarks (tests/e2e, tests/bench/e2e.ts,
 * tests/bench/replace.ts) start from, written once: a sidecar supervising its HAProxy (named,
 * with extra flags, or in a cluster the test already started processes in) with the tasks joined
 * to it, or an HAProxy started outside the sidecar.
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
  servers,
  type TaskOptions,
  upExactly,
  writeHaproxyConfig,
} from "./cluster_e2e.ts";
import { HaproxyProcess } from "./haproxy.ts";
import type { ShoalProcess } from "./shoal_process.ts";
import { waitFor } from "./wait.ts";

/** A {@linkcode Cluster} with one sidecar (`sidecar` unless named) that supervises its HAProxy. */
export interface SidecarSetup {
  readonly cluster: Cluster;
  readonly files: HaproxyFiles;
  /** HAProxy's frontend address, `host:port` (`files.url` is `http://<web>/`). */
  readonly web: string;
  /** Reads HAProxy's servers through its admin socket. */
  readonly hap: RuntimeClient;
  readonly sidecar: ShoalProcess;
  /** The sidecar's gossip address, for tasks to join. */
  readonly join: readonly string[];
  /** Closes the reader and, when the setup started the cluster, stops every process of it. */
  stop(): Promise<void>;
}

/** Writes an HAProxy configuration whose frontend listens on `host`, on a free port. */
export function writeFrontendConfig(
  host: string,
  haproxy: Omit<HaproxyConfigOptions, "web"> = {},
): Promise<HaproxyFiles> {
  return writeHaproxyConfig({ web: `${host}:${freePortOn(host)}`, ...haproxy });
}

/** How {@linkcode startSidecar} runs its sidecar. */
export interface SidecarSetupOptions {
  /** The sidecar's node name. @default "sidecar" */
  readonly name?: string;
  /** More sidecar flags; a function gets the HAProxy files (`--server-state-file=<dir>/…`). */
  readonly extra?: readonly string[] | ((files: HaproxyFiles) => readonly string[]);
  /**
   * The cluster to start it in (a second sidecar, or a test that started processes before the
   * sidecar); the setup's `stop` then only closes its reader: stopping the cluster is the
   * caller's. @default a new one, which the setup's `stop` stops
   */
  readonly cluster?: Cluster;
  /** Gossip addresses the sidecar joins (another sidecar's `join`). @default none */
  readonly join?: readonly string[];
  /** Its gossip port. @default 0 (ephemeral) */
  readonly port?: number;
  /** The HAProxy binary it supervises. @default "haproxy" */
  readonly haproxy?: string;
}

/**
 * Writes an HAProxy configuration whose frontend listens on `host` (a free port) and starts a
 * sidecar on `host` supervising it. On failure, what was started is stopped.
 */
export async function startSidecar(
  host: string,
  haproxy: Omit<HaproxyConfigOptions, "web"> = {},
  o: SidecarSetupOptions = {},
): Promise<SidecarSetup> {
  const cluster = o.cluster ?? new Cluster();
  const files = await writeFrontendConfig(host, haproxy);
  const hap = haproxyReader(files.socket);
  const stop = async () => {
    await hap.close();
    if (o.cluster === undefined) await cluster.stop();
  };
  try {
    const extra = typeof o.extra === "function" ? o.extra(files) : o.extra ?? [];
    const sidecar = await cluster.sidecar({
      name: o.name ?? "sidecar",
      host,
      files,
      extra,
      ...(o.join ? { join: o.join } : {}),
      ...(o.port !== undefined ? { port: o.port } : {}),
      ...(o.haproxy ? { haproxy: o.haproxy } : {}),
    });
    const web = new URL(files.url).host;
    return { cluster, files, web, hap, sidecar, join: [await gossipAddr(sidecar)], stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** True once the servers of `names` are UP in the HAProxy `hap` reads (see `upExactly`). */
export type UpCheck = (hap: RuntimeClient, names: readonly string[]) => Promise<boolean>;

/**
 * Starts a task per name (the i-th on `hostOf(i)`, with `optionsOf(i)` if given) joined to the
 * setup's sidecar (or to `joinOf(i)`), and waits until exactly those servers are UP in HAProxy
 * (`up`; slot mode shows slot names, so there a count is checked instead).
 */
export async function startTasksUp(
  setup: SidecarSetup,
  o: {
    names: readonly string[];
    hostOf: (i: number) => string;
    upWithinMs: number;
    optionsOf?: (i: number) => Omit<TaskOptions, "name" | "host" | "join">;
    joinOf?: (i: number) => readonly string[];
    /** @default upExactly */
    up?: UpCheck;
  },
): Promise<ShoalProcess[]> {
  const tasks = await Promise.all(
    o.names.map((name, i) =>
      setup.cluster.task({
        ...o.optionsOf?.(i),
        name,
        host: o.hostOf(i),
        join: o.joinOf?.(i) ?? setup.join,
      })
    ),
  );
  const up = o.up ?? upExactly;
  await waitFor(`${o.names.join(", ")} UP`, () => up(setup.hap, o.names), o.upWithinMs);
  return tasks;
}

/** Up when as many servers of the backend are UP as there are `names` (slot mode). */
export const upCount: UpCheck = async (hap, names) =>
  (await servers(hap)).filter((s) => s.status.startsWith("UP")).length === names.length;

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
