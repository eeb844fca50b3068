/**
 * Byte counters on loopback for the gossip benchmark, kept by nftables (the kernel counts, so shoal
 * and serf are measured the same way from outside). One private `inet` table per counter set, with
 * an output-hook chain that only counts and accepts; {@linkcode NftCounters.remove} deletes it.
 *
 * Every node binds its own loopback address, so its UDP packets (and the replies it serves on
 * TCP) carry that source address. TCP streams a node opens get the kernel's loopback source
 * (127.0.0.1) and are attributed to the cluster as a whole via their destination.
 *
 * @module
 */

/** Counts taken from the kernel at one moment. */
export interface CounterSnapshot {
  /** IP bytes per rule comment (`udp:<addr>`, `tcp:<addr>`, `tcp-in`, `syn`). */
  readonly bytes: ReadonlyMap<string, number>;
  /** Packets per rule comment. */
  readonly packets: ReadonlyMap<string, number>;
}

/** Thrown when `nft` is missing or refuses a command. */
export class NftError extends Error {
  override name = "NftError";
}

async function nft(args: string[], stdin?: string): Promise<string> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("nft", {
      args,
      stdin: stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new NftError(
        "The `nft` binary is missing: install it with `apt-get install -y nftables` (needs root).",
      );
    }
    throw e;
  }
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const td = new TextDecoder();
  if (out.code !== 0) {
    throw new NftError(`nft ${args.join(" ")} failed: ${td.decode(out.stderr).trim()}`);
  }
  return td.decode(out.stdout);
}

/** Per-address UDP and TCP byte counters for one set of loopback node addresses. */
export class NftCounters {
  private constructor(readonly table: string, readonly addrs: readonly string[]) {}

  /** Creates the table and its counting rules for `addrs` (IPv4 loopback only). */
  static async create(table: string, addrs: readonly string[]): Promise<NftCounters> {
    for (const a of addrs) {
      if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a)) {
        throw new NftError(`Refusing to count a non-loopback address: "${a}"`);
      }
    }
    const lines = [
      `table inet ${table} {`,
      `  chain out {`,
      `    type filter hook output priority 0; policy accept;`,
      `    ip daddr { ${addrs.join(", ")} } tcp flags & (syn | ack) == syn counter comment "syn"`,
      ...addrs.flatMap((a) => [
        `    ip saddr ${a} meta l4proto udp counter accept comment "udp:${a}"`,
        `    ip saddr ${a} meta l4proto tcp counter accept comment "tcp:${a}"`,
      ]),
      `    ip daddr { ${addrs.join(", ")} } meta l4proto tcp counter accept comment "tcp-in"`,
      `  }`,
      `}`,
    ];
    await nft(["-f", "-"], lines.join("\n") + "\n");
    return new NftCounters(table, addrs);
  }

  /** Reads every counter of the table. */
  async read(): Promise<CounterSnapshot> {
    const json = JSON.parse(await nft(["-j", "list", "table", "inet", this.table]));
    const bytes = new Map<string, number>();
    const packets = new Map<string, number>();
    for (const item of json.nftables as Record<string, unknown>[]) {
      const rule = item.rule as { comment?: string; expr?: Record<string, unknown>[] } | undefined;
      if (!rule?.comment || !rule.expr) continue;
      for (const e of rule.expr) {
        const c = e.counter as { bytes: number; packets: number } | undefined;
        if (!c) continue;
        bytes.set(rule.comment, c.bytes);
        packets.set(rule.comment, c.packets);
      }
    }
    return { bytes, packets };
  }

  /** Deletes the table; safe to call when it is already gone. */
  async remove(): Promise<void> {
    try {
      await nft(["delete", "table", "inet", this.table]);
    } catch (e) {
      if (!(e instanceof NftError)) throw e;
    }
  }
}

/** What one node sent (or the cluster sent on client TCP streams) between two snapshots. */
export interface TrafficDelta {
  readonly udpBytes: number;
  readonly tcpBytes: number;
  readonly udpPackets: number;
  readonly tcpPackets: number;
  /** TCP connections opened to node addresses (push/pulls, TCP pings, joins). */
  readonly tcpConnections: number;
}

/** Sums the differences between two snapshots over every address plus the `tcp-in` rule. */
export function clusterDelta(before: CounterSnapshot, after: CounterSnapshot): TrafficDelta {
  const diff = (m: "bytes" | "packets", key: string) =>
    (after[m].get(key) ?? 0) - (before[m].get(key) ?? 0);
  let udpBytes = 0, tcpBytes = 0, udpPackets = 0, tcpPackets = 0;
  for (const key of after.bytes.keys()) {
    if (key === "syn") continue;
    if (key.startsWith("udp:")) {
      udpBytes += diff("bytes", key);
      udpPackets += diff("packets", key);
    } else {
      tcpBytes += diff("bytes", key);
      tcpPackets += diff("packets", key);
    }
  }
  const tcpConnections = diff("packets", "syn");
  return { udpBytes, tcpBytes, udpPackets, tcpPackets, tcpConnections };
}

/** UDP bytes each address sent between two snapshots. */
export function udpBytesPerAddr(before: CounterSnapshot, after: CounterSnapshot): number[] {
  const out: number[] = [];
  for (const [key, v] of after.bytes) {
    if (key.startsWith("udp:")) out.push(v - (before.bytes.get(key) ?? 0));
  }
  return out;
}
