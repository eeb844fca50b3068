/**
 * Forged gossip for the attack tests (tests/security/): raw UDP packets and TCP streams built
 * with the wire codec and sent from a host that never joined, plus a `shoal agent` launcher
 * with RPC so a test can read the node's clocks and members through the real `serf` CLI.
 *
 * @module
 */

import {
  encodeMessage,
  encodePacket,
  encodePushPull,
  encodeStreamFrame,
  MessageType,
  type PushNodeState,
  SHOAL_VSN,
} from "../../lib/gossip/wire/mod.ts";
import { encodeSerfMessage, type SerfMessage } from "../../lib/serf/messages.ts";
import { freePort } from "./ports.ts";
import { serfCli } from "./serf_cli.ts";
import { type ShoalProcess, startShoal } from "./shoal_process.ts";

/** A started `shoal agent` with its gossip and RPC addresses. */
export interface ForgeTarget {
  readonly proc: ShoalProcess;
  readonly host: string;
  readonly port: number;
  readonly rpcAddr: string;
}

/** Starts `shoal agent --node <name>` on 127.0.0.1 with RPC, ready once `agent.running` logs. */
export async function startTarget(name: string, extra: string[] = []): Promise<ForgeTarget> {
  const port = freePort();
  const rpcAddr = `127.0.0.1:${freePort()}`;
  const proc = startShoal([
    "agent",
    "--node",
    name,
    "--bind",
    `127.0.0.1:${port}`,
    "--rpc-addr",
    rpcAddr,
    ...extra,
  ]);
  await proc.waitForLog("agent.running");
  return { proc, host: "127.0.0.1", port, rpcAddr };
}

/** `[8][serf message]`: a memberlist user message carrying `m`. */
export function userMessage(m: SerfMessage | Uint8Array): Uint8Array {
  const inner = m instanceof Uint8Array ? m : encodeSerfMessage(m);
  const out = new Uint8Array(1 + inner.length);
  out[0] = MessageType.User;
  out.set(inner, 1);
  return out;
}

/** Sends each datagram to `to` from a fresh socket on 127.0.0.9 (an address that never joined). */
export async function sendUdp(
  to: { host: string; port: number },
  datagrams: readonly Uint8Array[],
): Promise<void> {
  const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.9", port: 0 });
  try {
    for (const d of datagrams) {
      await sock.send(d, { transport: "udp", hostname: to.host, port: to.port });
    }
  } finally {
    sock.close();
  }
}

/** A datagram holding one serf message, uncompressed. */
export function serfPacket(m: SerfMessage | Uint8Array): Uint8Array {
  return encodePacket([userMessage(m)], { compress: false });
}

/** An `alive` datagram for a member that does not exist, with the given metadata. */
export function alivePacket(
  name: string,
  o: { port: number; meta?: Uint8Array; incarnation?: number; ip?: number[]; vsn?: number[] },
): Uint8Array {
  return encodePacket([encodeMessage({
    type: MessageType.Alive,
    incarnation: o.incarnation ?? 1,
    node: name,
    addr: new Uint8Array(o.ip ?? [127, 0, 0, 9]),
    port: o.port,
    meta: o.meta ?? new Uint8Array(0),
    vsn: new Uint8Array(o.vsn ?? SHOAL_VSN),
  })], { compress: false });
}

/** A push/pull node state for a forged member. */
export function nodeState(name: string, port: number, meta = new Uint8Array(0)): PushNodeState {
  return {
    name,
    addr: new Uint8Array([127, 0, 0, 9]),
    port,
    meta,
    incarnation: 1,
    state: 0,
    vsn: new Uint8Array(SHOAL_VSN),
  };
}

/** Dials `to`, writes `bytes`, and reads until the peer closes or `readMs` passes. */
export async function sendStream(
  to: { host: string; port: number },
  bytes: Uint8Array,
  readMs = 3000,
): Promise<Uint8Array> {
  const conn = await Deno.connect({ hostname: to.host, port: to.port });
  const chunks: Uint8Array[] = [];
  const timer = setTimeout(() => conn.close(), readMs);
  try {
    await conn.write(bytes).catch(() => 0);
    const buf = new Uint8Array(64 * 1024);
    for (;;) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed by the timer
    }
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) (out.set(c, at), at += c.length);
  return out;
}

/** A plaintext push/pull stream frame with `nodes` and serf user state. */
export function pushPullFrame(nodes: PushNodeState[], userState: Uint8Array): Uint8Array {
  return encodeStreamFrame(encodePushPull({ join: false, nodes, userState }), {
    compress: false,
    label: "",
    dialer: true,
  });
}

/** The serf section of `serf info` (clocks as numbers). */
export async function serfInfo(
  rpcAddr: string,
): Promise<{ member: number; event: number; query: number } | null> {
  const r = await serfCli("info", rpcAddr, ["-format=json"], 5000);
  if (r.code !== 0) return null;
  const s = JSON.parse(r.stdout).serf as Record<string, string>;
  return {
    member: Number(s.member_time),
    event: Number(s.event_time),
    query: Number(s.query_time),
  };
}

/** Names listed by `serf members`. */
export async function memberNames(rpcAddr: string): Promise<string[] | null> {
  const r = await serfCli("members", rpcAddr, ["-format=json"], 10_000);
  if (r.code !== 0) return null;
  return (JSON.parse(r.stdout).members as { name: string }[]).map((m) => m.name);
}

/** Connections held open by a python3 process, each bound to a chosen source address. */
export interface HeldStreams {
  /** How many connected. */
  readonly connected: number;
  stop(): Promise<void>;
}

const HOLD_SCRIPT = `
import socket, sys
host, port, n, src, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], bytes.fromhex(sys.argv[5])
held = []
for _ in range(n):
    s = socket.socket()
    s.bind((src, 0))
    try:
        s.connect((host, port))
        s.sendall(first)
        held.append(s)
    except OSError:
        s.close()
print(len(held), flush=True)
sys.stdin.read()
`;

/**
 * Opens `n` TCP connections from `src` (Deno cannot pick a source address) that each send
 * `firstHex` and then stall, like the stalled push/pull flood of issue 13.
 */
export async function holdStreams(
  to: { host: string; port: number },
  o: { n: number; src: string; firstHex: string },
): Promise<HeldStreams> {
  const child = new Deno.Command("python3", {
    args: ["-c", HOLD_SCRIPT, to.host, String(to.port), String(o.n), o.src, o.firstHex],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let line = "";
  while (!line.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    line += value;
  }
  const writer = child.stdin.getWriter();
  return {
    connected: Number(line.trim()),
    stop: async () => {
      await writer.close().catch(() => {});
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
      await child.status;
      await reader.cancel().catch(() => {});
    },
  };
}

/** CPU seconds (user + system) a process has used, from /proc. */
export function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident set size of a process in MiB, from /proc. */
export function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = /VmRSS:\s+(\d+)/.exec(status);
  return kb ? Number(kb[1]) / 1024 : 0;
}
