/**
 * The Go shoal (davidbirdsong/shoal, prepared in `../shared/peers`) as a real peer: a network
 * namespace of the test's own with the fake EC2 metadata service the Go shoal takes its gossip
 * address from (`go-shoal/ns-up.sh`), and `go-shoal task` / `go-shoal sidecar` processes in it.
 *
 * Everything of such a test runs inside the namespace (HAProxy, shoal, the Go shoal, the
 * workers) on its own loopback; the test itself stays outside and reaches HAProxy through UNIX
 * sockets (the admin socket and a UNIX socket frontend), which namespaces do not separate.
 *
 * @module
 */

import { BACKEND } from "./cluster_e2e.ts";
import { haproxyBinary } from "./haproxy.ts";
import { type ShoalProcess, startLogged } from "./shoal_process.ts";

const REPO = new URL("../../", import.meta.url).pathname;

/** The peers folder: `$SHOAL_PEERS`, else `../shared/peers` beside the repository or its worktree. */
export function peersDir(): string | undefined {
  const env = Deno.env.get("SHOAL_PEERS");
  const candidates = env ? [env] : [`${REPO}../shared/peers`, `${REPO}../../shared/peers`];
  return candidates.find((d) => exists(`${d}/go-shoal/ns-up.sh`));
}

/** The Go shoal binary: `$GO_SHOAL`, else `<peers>/bin/go-shoal`. */
export function goShoalBin(): string | undefined {
  const bin = Deno.env.get("GO_SHOAL") ?? `${peersDir()}/bin/go-shoal`;
  return exists(bin) ? bin : undefined;
}

/** The peers' HTTP worker: accepts on fd 3 whatever sends it there; logs JSON events to argv[1]. */
export function goWorker(events: string, name: string): string[] {
  return ["python3", `${peersDir()}/go-shoal/worker.py`, events, name];
}

/** Why the interop tests cannot run here, or undefined when they can. */
export function interopSkipReason(): string | undefined {
  if (peersDir() === undefined) {
    return "no go-shoal/ns-up.sh (set SHOAL_PEERS to the peers folder, see ../shared/peers)";
  }
  if (goShoalBin() === undefined) {
    return "no go-shoal binary (set GO_SHOAL, or build it with ../shared/peers/build-go-shoal.sh)";
  }
  const probe = `goshoal-probe-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const add = run(["ip", "netns", "add", probe]);
  if (!add.ok) return `cannot create a network namespace (needs root / CAP_SYS_ADMIN): ${add.err}`;
  run(["ip", "netns", "del", probe]);
  return undefined;
}

/** A network namespace `goshoal-<tag>-<pid>` with lo up and the fake IMDS running in it. */
export class NetNs {
  readonly name: string;
  private constructor(name: string) {
    this.name = name;
  }

  /** The prefix that runs a command inside the namespace. */
  get wrap(): string[] {
    return ["ip", "netns", "exec", this.name];
  }

  /** Creates the namespace (`ns-up.sh`) and waits until the fake IMDS answers in it. */
  static async up(tag: string): Promise<NetNs> {
    const ns = new NetNs(`goshoal-${tag}-${Deno.pid}`);
    const up = run(["bash", `${peersDir()}/go-shoal/ns-up.sh`, ns.name]);
    if (!up.ok) throw new Error(`ns-up.sh ${ns.name} failed: ${up.err}`);
    for (let i = 0; i < 100; i++) {
      const probe = run([
        ...ns.wrap,
        "python3",
        "-c",
        "import socket; socket.create_connection(('169.254.169.254', 80), 0.2).close()",
      ]);
      if (probe.ok) return ns;
      await new Promise((r) => setTimeout(r, 50)); // the fake IMDS is starting
    }
    await ns.down();
    throw new Error(`the fake IMDS in ${ns.name} did not start`);
  }

  /** Stops the fake IMDS (its pid file is `/tmp/<name>-imds.pid`) and deletes the namespace. */
  async down(): Promise<void> {
    const pidFile = `/tmp/${this.name}-imds.pid`;
    try {
      Deno.kill(Number(Deno.readTextFileSync(pidFile).trim()), "SIGKILL");
    } catch {
      // gone already
    }
    await Deno.remove(pidFile).catch(() => {});
    await Deno.remove(`/tmp/${this.name}-imds.log`).catch(() => {});
    run(["ip", "netns", "del", this.name]);
  }
}

/**
 * Starts `go-shoal <args>` in `ns`, gossiping on `ip` (the fake IMDS's answer). Its zerolog JSON
 * lines are the process's logs: `message` is the event, `node` its random node name.
 */
export function startGoShoal(ns: NetNs, ip: string, args: readonly string[]): ShoalProcess {
  const proc = startLogged([goShoalBin()!, ...args], { SHOAL_FAKE_IP: ip }, {
    wrap: ns.wrap,
    label: "go-shoal",
  });
  return {
    ...proc,
    // Its SIGTERM path often panics and orphans the worker: stop kills the worker it logged too.
    async stop() {
      const started = proc.logs().find((l) => l.message === "worker started");
      if (started) {
        try {
          Deno.kill(Number(started.pid), "SIGKILL");
        } catch {
          // gone
        }
      }
      await proc.stop();
    },
  };
}

/** The Go shoal's node name (it picks `node-<hostname>-<random>` itself and has no flag for it). */
export async function goNodeName(proc: ShoalProcess): Promise<string> {
  return String((await proc.waitForLine((l) => typeof l.node === "string", "a log line")).node);
}

/** Resolves once a Go task has joined the cluster (`serf bind success`). */
export function goJoined(proc: ShoalProcess, deadlineMs = 20_000): Promise<unknown> {
  return proc.waitForLine(
    (l) => l.message === "serf bind success",
    "serf bind success",
    deadlineMs,
  );
}

function run(cmd: string[]): { ok: boolean; err: string } {
  try {
    const out = new Deno.Command(cmd[0]!, { args: cmd.slice(1), stdout: "null", stderr: "piped" })
      .outputSync();
    return { ok: out.success, err: new TextDecoder().decode(out.stderr).trim() };
  } catch (err) {
    return { ok: false, err: err instanceof Error ? err.message : String(err) };
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Where the processes of a test are tracked (a `Cluster`), so stopping it stops them too. */
export interface ProcessTracker {
  track(proc: ShoalProcess): ShoalProcess;
}

/**
 * Starts `go-shoal sidecar` in `ns` on `ip`, managing the `shoal` backend of the HAProxy it
 * supervises with `files` (`-- haproxy -W -db -f cfg`), optionally joining `join` first; resolves
 * once HAProxy has loaded its configuration.
 */
export async function startGoSidecar(
  tracker: ProcessTracker,
  ns: NetNs,
  o: { ip: string; files: { socket: string; cfg: string }; join?: string },
): Promise<ShoalProcess> {
  const proc = tracker.track(startGoShoal(ns, o.ip, [
    "sidecar",
    ...(o.join === undefined ? [] : ["--join", o.join]),
    "--haproxy-socket",
    o.files.socket,
    "--haproxy-backend",
    BACKEND,
    "--",
    haproxyBinary(),
    "-W",
    "-db",
    "-f",
    o.files.cfg,
  ]));
  await proc.waitForLine((l) => String(l.message).includes("Loading success"), "HAProxy up");
  return proc;
}

/**
 * Starts `go-shoal task` in `ns` on `ip`, joining `join`, with `worker` after `--`; `backend`
 * adds `--backend shoal` and `drainTimeout` `--drain-timeout` (the Go defaults otherwise).
 */
export function startGoTask(
  tracker: ProcessTracker,
  ns: NetNs,
  o: {
    ip: string;
    join: string;
    worker: readonly string[];
    backend?: boolean;
    drainTimeout?: string;
  },
): ShoalProcess {
  return tracker.track(startGoShoal(ns, o.ip, [
    "task",
    "--join",
    o.join,
    ...(o.backend ? ["--backend", BACKEND] : []),
    ...(o.drainTimeout === undefined ? [] : ["--drain-timeout", o.drainTimeout]),
    "--",
    ...o.worker,
  ]));
}
