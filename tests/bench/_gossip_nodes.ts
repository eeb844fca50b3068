/**
 * Clusters of real gossip agents for the gossip benchmark: N `shoal agent` or N `serf agent`
 * processes, each on its own loopback address (127.77.<cluster>.<i>) and free port, joined through
 * the first node, which alone serves the agent RPC on 127.0.0.1 (shoal) or is the only one ever
 * asked (serf, whose RPC cannot be turned off). Readiness is read from that RPC with the real
 * `serf members` CLI, never assumed after a sleep.
 *
 * @module
 */

import { freePort, waitFor } from "../_support/serf_agent.ts";
import { requireSerfBinary, serfCli } from "../_support/serf_cli.ts";
import { freePortOn } from "../_support/ports.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
/** Each process keeps this much of its output tail for error reports. */
const OUTPUT_TAIL_MAX = 32_768;

/** The implementation under measurement. */
export type Impl = "shoal" | "serf";

/** One running agent process. */
export interface AgentProc {
  readonly name: string;
  readonly addr: string;
  readonly port: number;
  readonly pid: number;
  /** The tail of its stdout + stderr. */
  output(): string;
  /** SIGKILL (if alive) and wait for the exit; safe to call twice. */
  kill(): Promise<void>;
}

/** A member as `serf members -format=json` prints it. */
export interface MemberRow {
  readonly name: string;
  readonly addr: string;
  readonly status: string;
}

/** CPU time (user + system) and resident memory of a process, from `/proc/<pid>/stat`. */
export interface ProcUsage {
  readonly cpuMs: number;
  readonly rssBytes: number;
}

/** Linux's USER_HZ (`getconf CLK_TCK`), fixed at 100 on every architecture Linux exports. */
const CLOCK_TICKS_PER_SEC = 100;
const PAGE_BYTES = 4096;

/** Reads `pid`'s CPU time and RSS; null when the process is gone. */
export async function procUsage(pid: number): Promise<ProcUsage | null> {
  let stat: string;
  try {
    stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15, rss 24.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(f[11]) + Number(f[12]);
  return { cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SEC, rssBytes: Number(f[21]) * PAGE_BYTES };
}

export { freePortOn };

function spawn(cmd: string, args: string[]) {
  const child = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const td = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) {
      text += td.decode(chunk, { stream: true });
      if (text.length > 2 * OUTPUT_TAIL_MAX) text = text.slice(-OUTPUT_TAIL_MAX);
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  let done: Promise<void> | undefined;
  return {
    pid: child.pid,
    output: () => text.slice(-OUTPUT_TAIL_MAX),
    kill: () =>
      done ??= (async () => {
        try {
          child.kill("SIGKILL");
        } catch {
          // already exited
        }
        await child.status;
        await pumps;
      })(),
  };
}

interface StartSpec {
  readonly impl: Impl;
  readonly name: string;
  readonly addr: string;
  /** `127.0.0.1:port` for the observer; otherwise RPC is off (shoal) or unused (serf). */
  readonly rpcAddr?: string;
  readonly join?: string;
}

function startAgent(spec: StartSpec): AgentProc {
  const port = freePortOn(spec.addr);
  const bind = `${spec.addr}:${port}`;
  let proc;
  if (spec.impl === "shoal") {
    const args = ["run", "-A", MAIN, "agent", "--node", spec.name, "--bind", bind];
    args.push("--rpc-addr", spec.rpcAddr ?? "", "--profile", "lan");
    args.push("--log-format", "json", "--log-level", "info");
    if (spec.join) args.push("--join", spec.join);
    proc = spawn(Deno.execPath(), args);
  } else {
    const rpc = spec.rpcAddr ?? `${spec.addr}:${freePortOn(spec.addr)}`;
    const args = ["agent", `-node=${spec.name}`, `-bind=${bind}`, `-rpc-addr=${rpc}`];
    args.push("-profile=lan", "-log-level=info");
    if (spec.join) args.push(`-join=${spec.join}`);
    proc = spawn("serf", args);
  }
  return { ...proc, name: spec.name, addr: spec.addr, port };
}

/** Lists the observer's members through the real `serf members` CLI. */
export async function members(rpcAddr: string): Promise<MemberRow[]> {
  const r = await serfCli("members", rpcAddr, ["-format=json"], 5_000);
  if (r.code !== 0) {
    const said = `${r.stdout}${r.stderr}`.trim() || "no output (timed out?)";
    throw new Error(`serf members -rpc-addr=${rpcAddr} exited ${r.code}: ${said}`);
  }
  return (JSON.parse(r.stdout) as { members: MemberRow[] }).members;
}

/** N agents of one implementation, joined through node 0, the observer. */
export class GossipCluster {
  readonly nodes: AgentProc[] = [];
  private readonly killed = new Set<string>();
  private next = 0;

  /** The observer's RPC address on 127.0.0.1. */
  readonly rpcAddr = `127.0.0.1:${freePort()}`;

  /** A cluster of `impl` agents on `subnet` (three octets, e.g. `127.77.1`); start it next. */
  constructor(readonly impl: Impl, readonly subnet: string) {
    if (!/^127\.\d{1,3}\.\d{1,3}$/.test(subnet)) {
      throw new Error(`Refusing a non-loopback subnet: "${subnet}"`);
    }
  }

  /**
   * Starts the observer, waits for its RPC, then starts `size - 1` agents joining it and waits
   * until the observer lists all of them alive. On failure every process is killed.
   */
  async start(size: number, convergeDeadlineMs: number): Promise<void> {
    if (this.impl === "serf") await requireSerfBinary();
    try {
      const obs = this.spawnNode(this.rpcAddr);
      await waitFor(
        `${this.impl} observer RPC at ${this.rpcAddr}`,
        async () => (await serfCli("members", this.rpcAddr, [], 2_000)).code === 0,
        20_000,
        100,
      );
      const join = `${obs.addr}:${obs.port}`;
      for (let i = 1; i < size; i++) this.spawnNode(undefined, join);
      await this.awaitAlive(convergeDeadlineMs);
    } catch (e) {
      const tail = this.nodes[0]?.output().slice(-4000) ?? "";
      await this.stop();
      throw new Error(`${this.impl} cluster of ${size} did not converge:\n${tail}`, { cause: e });
    }
  }

  /** The node that serves the RPC. */
  get observer(): AgentProc {
    return this.nodes[0]!;
  }

  /** Nodes still running (not killed by the benchmark). */
  live(): AgentProc[] {
    return this.nodes.filter((n) => !this.killed.has(n.name));
  }

  private spawnNode(rpcAddr?: string, join?: string): AgentProc {
    const i = this.next++;
    if (i > 250) throw new Error("Too many nodes for one /24 of loopback");
    const name = `${this.impl}-${i}`;
    const addr = `${this.subnet}.${i + 2}`;
    const spec: StartSpec = { impl: this.impl, name, addr };
    const node = startAgent({
      ...spec,
      ...(rpcAddr ? { rpcAddr } : {}),
      ...(join ? { join } : {}),
    });
    this.nodes.push(node);
    return node;
  }

  /** Waits until the observer lists every live node as alive. */
  async awaitAlive(deadlineMs: number): Promise<void> {
    const want = this.live().map((n) => n.name);
    await waitFor(
      `${this.impl}: observer lists ${want.length} members alive`,
      async () => {
        const alive = new Set(
          (await members(this.rpcAddr)).filter((m) => m.status === "alive").map((m) => m.name),
        );
        return want.every((n) => alive.has(n));
      },
      deadlineMs,
      100,
    );
  }

  /** SIGKILLs `node` and marks it as gone. */
  async kill(node: AgentProc): Promise<void> {
    this.killed.add(node.name);
    await node.kill();
  }

  /** Starts a fresh node (new name and address) joining the observer and waits for it. */
  async replace(deadlineMs: number): Promise<void> {
    const obs = this.observer;
    this.spawnNode(undefined, `${obs.addr}:${obs.port}`);
    await this.awaitAlive(deadlineMs);
  }

  /** Starts `n` more nodes joining the observer, then waits until it lists them all alive. */
  async grow(n: number, deadlineMs: number): Promise<void> {
    const obs = this.observer;
    for (let i = 0; i < n; i++) this.spawnNode(undefined, `${obs.addr}:${obs.port}`);
    await this.awaitAlive(deadlineMs);
  }

  /** Kills every process this cluster started. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill()));
  }
}
