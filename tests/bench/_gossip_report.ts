/**
 * Results and the markdown report of the gossip benchmark.
 *
 * @module
 */

import type { Impl } from "./_gossip_nodes.ts";
import type { TrafficDelta } from "./_nft_counter.ts";

/** What one cluster (one implementation at one size) measured. */
export interface ClusterResult {
  readonly size: number;
  readonly impl: Impl;
  /** Kill-to-`failed` times on the observer, one per run. */
  readonly detectionMs: number[];
  readonly traffic: TrafficDelta;
  readonly windowMs: number;
  /** UDP bytes/s each node sent (its own source address). */
  readonly udpBytesPerSecByNode: number[];
  /** Mean CPU use of one agent process over the window, percent of one core. */
  readonly cpuPct: number;
  /** `serf members` calls that failed while waiting for `failed` (each retried). */
  readonly pollFailures: number;
  /** Slowest `serf members` call while waiting for `failed`: the timing resolution. */
  readonly slowestPollMs: number;
  /** Mean resident memory of one agent process at the end of the window. */
  readonly rssMb: number;
}

/** The median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Bytes per second per node, all of the cluster's gossip traffic (UDP + TCP) over the window. */
export function bytesPerSecPerNode(r: ClusterResult): number {
  return (r.traffic.udpBytes + r.traffic.tcpBytes) / r.size / (r.windowMs / 1000);
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(2);
}

function detectionCell(r: ClusterResult): string {
  if (r.detectionMs.length === 0) return "n/a";
  const lo = Math.min(...r.detectionMs), hi = Math.max(...r.detectionMs);
  return `${seconds(median(r.detectionMs))} s (${seconds(lo)}–${seconds(hi)})`;
}

function ratioCell(r: ClusterResult, all: readonly ClusterResult[]): string {
  if (r.impl === "serf") return "—";
  const serf = all.find((x) => x.impl === "serf" && x.size === r.size);
  if (!serf) return "n/a";
  const det = serf.detectionMs.length && r.detectionMs.length
    ? (median(r.detectionMs) / median(serf.detectionMs)).toFixed(2)
    : "n/a";
  const bw = (bytesPerSecPerNode(r) / bytesPerSecPerNode(serf)).toFixed(2);
  return `detection ×${det}, bytes ×${bw}`;
}

/** The summary table: nodes | impl | detection | bytes/s per node | ratio. */
export function summaryTable(results: readonly ClusterResult[]): string {
  const rows = [
    "| nodes | impl | detection median (range), n runs | bytes/s per node | ratio shoal/serf |",
    "| ---: | --- | --- | ---: | --- |",
  ];
  for (const r of results) {
    const det = `${detectionCell(r)}, n=${r.detectionMs.length}`;
    const bw = Math.round(bytesPerSecPerNode(r)).toLocaleString("en-US");
    rows.push(`| ${r.size} | ${r.impl} | ${det} | ${bw} | ${ratioCell(r, results)} |`);
  }
  return rows.join("\n");
}

/** Per-cluster details: raw detection times, UDP/TCP split, packet rates, per-node spread. */
export function detailTable(results: readonly ClusterResult[]): string {
  const rows = [
    "| nodes | impl | detection runs (s) | UDP B/s/node | TCP B/s/node | pkts/s/node | TCP conns | UDP B/s min–max node | CPU %/node | RSS MB/node | slowest poll ms (failed) |",
    "| ---: | --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- |",
  ];
  for (const r of results) {
    const per = (x: number) => Math.round(x / r.size / (r.windowMs / 1000));
    const pkts = per(r.traffic.udpPackets + r.traffic.tcpPackets);
    const spread = r.udpBytesPerSecByNode.length
      ? `${Math.round(Math.min(...r.udpBytesPerSecByNode))}–${
        Math.round(Math.max(...r.udpBytesPerSecByNode))
      }`
      : "n/a";
    const runs = r.detectionMs.map(seconds).join(", ");
    rows.push(
      `| ${r.size} | ${r.impl} | ${runs} | ${per(r.traffic.udpBytes)} | ${
        per(r.traffic.tcpBytes)
      } | ${pkts} | ${r.traffic.tcpConnections} | ${spread} | ${r.cpuPct.toFixed(2)} | ${
        r.rssMb.toFixed(0)
      } | ${r.slowestPollMs.toFixed(0)} (${r.pollFailures}) |`,
    );
  }
  return rows.join("\n");
}

async function firstLine(cmd: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).output();
    return new TextDecoder().decode(out.stdout).split("\n")[0]!.trim();
  } catch {
    return "unknown";
  }
}

/** One paragraph of machine notes: date, kernel, cores, load, versions. */
export async function machineNotes(): Promise<string> {
  const load = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
  const cpu = (await Deno.readTextFile("/proc/cpuinfo")).match(/model name\s*:\s*(.*)/)?.[1];
  return [
    `date ${new Date().toISOString()}`,
    `kernel ${Deno.osRelease()}`,
    `${navigator.hardwareConcurrency} cores (${cpu ?? "unknown cpu"})`,
    `load average ${load}`,
    `deno ${Deno.version.deno}`,
    `serf ${await firstLine("serf", ["version"])}`,
  ].join("; ");
}
