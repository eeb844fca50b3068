/**
 * What the scale benchmark reads from HAProxy's admin socket (`show stat`) and from /proc.
 *
 * @module
 */

import { BACKEND } from "../_support/cluster_e2e.ts";
import { procUsage } from "./_gossip_nodes.ts";

/** `show stat` over the admin socket: servers of the backend by status (UP, DOWN, MAINT...). */
export async function serverStatus(socket: string): Promise<Map<string, string>> {
  const rows = await serverRows(socket);
  return new Map([...rows].map(([k, v]) => [k, v.get("status") ?? ""]));
}

/** `show stat` rows of the backend's servers, each as column name → value. */
export async function serverRows(socket: string): Promise<Map<string, Map<string, string>>> {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  await conn.write(new TextEncoder().encode("show stat\n"));
  let text = "";
  const td = new TextDecoder();
  for await (const chunk of conn.readable) text += td.decode(chunk, { stream: true });
  const [header = "", ...body] = text.split("\n");
  const cols = header.replace(/^# /, "").split(",");
  const out = new Map<string, Map<string, string>>();
  for (const line of body) {
    const f = line.split(",");
    if (f[0] !== BACKEND || f[1] === "BACKEND" || f[1] === "FRONTEND" || !f[1]) continue;
    out.set(f[1], new Map(cols.map((c, i) => [c, f[i] ?? ""])));
  }
  return out;
}

/** HAProxy's check of `addr`, done from the benchmark itself. */
async function selfCheck(addr: string): Promise<string> {
  if (!addr) return "no address";
  const t0 = performance.now();
  try {
    const r = await fetch(`http://${addr}/`, { signal: AbortSignal.timeout(3000) });
    await r.body?.cancel();
    return `${r.status} in ${(performance.now() - t0).toFixed(0)} ms`;
  } catch (err) {
    return `${err instanceof Error ? err.message : String(err)} after ${
      (performance.now() - t0).toFixed(0)
    } ms`;
  }
}

/** The VmRSS of `pid` in MB. */
export async function rssMb(pid: number): Promise<number> {
  const text = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(text.match(/^VmRSS:\s+(\d+) kB/m)?.[1]) / 1024;
}

/**
 * Waits until `want` servers are UP, at most `deadlineMs`; resolves to the ms from `sinceEpochMs`
 * (an epoch time, as the generators report it) to the first `show stat` that had them all UP.
 */
export async function allUp(
  socket: string,
  want: number,
  sinceEpochMs: number,
  deadlineMs: number,
): Promise<number> {
  const deadline = performance.now() + deadlineMs;
  let seen = new Map<string, number>();
  while (performance.now() < deadline) {
    seen = new Map();
    // HAProxy closes admin connections beyond the socket's maxconn: read again next time.
    const status = await serverStatus(socket).catch(() => new Map<string, string>());
    for (const s of status.values()) seen.set(s, (seen.get(s) ?? 0) + 1);
    if ((seen.get("UP") ?? 0) >= want) return Date.now() - sinceEpochMs;
    await new Promise((r) => setTimeout(r, 100));
  }
  const by = [...seen].map(([s, n]) => `${n} ${s}`).join(", ");
  const down = [...(await serverRows(socket))].filter(([, r]) => r.get("status") !== "UP");
  const why = down.slice(0, 3).map(([name, r]) =>
    `${name} ${r.get("addr")} ${r.get("check_status")} ${r.get("check_desc")} ${r.get("last_chk")}`
  );
  const probe = await selfCheck(down[0]?.[1].get("addr") ?? "");
  throw new Error(
    `not ${want} servers UP after ${deadlineMs} ms: ${by}; ${why.join("; ")}; ` +
      `the same check from here: ${probe}`,
  );
}

/**
 * Waits until none of `names` is in the backend, at most until `untilEpochMs`; resolves to how
 * many are still there and when (epoch ms) the count was last read.
 */
export async function allGone(
  socket: string,
  names: readonly string[],
  untilEpochMs: number,
): Promise<{ left: number; at: number; total: number }> {
  while (true) {
    const st = await serverStatus(socket).catch(() => null);
    const at = Date.now();
    const left = st ? names.filter((n) => st.has(n)).length : names.length;
    if ((st && left === 0) || at >= untilEpochMs) return { left, at, total: st?.size ?? -1 };
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** CPU seconds `pid` used over `seconds`, scaled to a minute. */
export async function idleCpuPerMin(pid: number, seconds: number): Promise<number> {
  const a = await procUsage(pid);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const b = await procUsage(pid);
  if (!a || !b) throw new Error(`process ${pid} exited`);
  return (b.cpuMs - a.cpuMs) / 1000 * (60 / seconds);
}

/** How often each (level, event) was logged, most frequent first. */
export function eventCounts(logs: readonly Record<string, unknown>[]): string {
  const n = new Map<string, number>();
  for (const l of logs) {
    const k = `${l.level} ${l.event}`;
    n.set(k, (n.get(k) ?? 0) + 1);
  }
  return [...n].sort((a, b) => b[1] - a[1]).map(([k, v]) => `  ${v} ${k}`).join("\n");
}
