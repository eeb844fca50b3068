/**
 * The `show` replies of the simulated HAProxy, in the real formats: `show servers state`
 * (format 1, all 25 columns), `show stat` CSV (a subset of the columns, mapped by header name as
 * the product's parser does) and `show info`.
 *
 * @module
 */

import { joinHostPort } from "../../../lib/net/mod.ts";
import type { SimHaproxy, SimServer } from "./model.ts";
import { effectiveWeight } from "./slowstart.ts";

const STATE_HEADER = "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state " +
  "srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result " +
  "srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn " +
  "srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port";

/** The `show stat` columns the model fills. */
export const STAT_COLUMNS = [
  "pxname",
  "svname",
  "qcur",
  "scur",
  "stot",
  "status",
  "weight",
  "act",
  "type",
  "check_status",
  "addr",
  "uweight",
] as const;

const ADMIN_BITS = { ready: 0, drain: 8, maint: 1 } as const;
/** Seconds of the virtual epoch that `Start_time_sec` counts from. */
const EPOCH_SEC = 1_700_000_000;

/** `srv_check_state`: 0x02 configured, 0x04 enabled, 0x08 paused. */
function checkState(s: SimServer): number {
  if (!s.checkConfigured) return 0;
  return 2 | (s.checkEnabled ? 4 : 0) | (s.checkPaused ? 8 : 0);
}

/** `show servers state [backend]`. */
export function formatServersState(hap: SimHaproxy, only: string | undefined): string {
  const lines = ["1", STATE_HEADER];
  const names = [...hap.backends.keys()];
  for (const [i, be] of names.entries()) {
    if (only !== undefined && be !== only) continue;
    for (const s of hap.servers(be)) {
      const since = Math.floor((hap.clock.nowMs() - s.lastChangeMs) / 1000);
      const checkStatus = s.lastCheck === undefined ? 1 : s.lastCheck ? 15 : 7;
      const checkResult = s.lastCheck === undefined ? 0 : s.lastCheck ? 3 : 2;
      lines.push([
        i + 2,
        be,
        s.id,
        s.name,
        s.addr,
        hap.isUp(s) || s.zombie ? 2 : 0,
        ADMIN_BITS[s.admin],
        s.uweight,
        s.iweight,
        since,
        checkStatus,
        checkResult,
        s.health,
        checkState(s),
        0,
        0,
        0,
        "-",
        s.port,
        "-",
        0,
        0,
        "-",
        "-",
        0,
      ].join(" "));
    }
  }
  return lines.join("\n") + "\n";
}

/** The `status` column of `show stat` for a server. */
export function statStatus(hap: SimHaproxy, s: SimServer): string {
  if (s.admin === "maint") return "MAINT";
  if (!s.checkEnabled) return s.admin === "drain" ? "DRAIN" : "no check";
  const top = s.rise + s.fall - 1;
  if (hap.isUp(s)) {
    if (s.admin === "drain") return "DRAIN";
    return s.health === top ? "UP" : `UP ${s.health - s.rise + 1}/${s.fall}`;
  }
  return s.health === 0 ? "DOWN" : `DOWN ${s.health}/${s.rise}`;
}

/**
 * The `weight` column of `show stat` for a server: its effective weight while UP (ramping under
 * `slowstart`), its user weight while DOWN or in maintenance, 1 before HAProxy first weighed it.
 */
export function statWeight(hap: SimHaproxy, s: SimServer): number {
  if (!s.weighed) return 1;
  return hap.isUp(s) && !s.zombie ? effectiveWeight(s, hap.clock.nowMs()) : s.uweight;
}

/** `show stat [backend 6 -1]`: each backend's servers, then its `BACKEND` line. */
export function formatStat(hap: SimHaproxy, only: string | undefined): string {
  const lines = [`# ${STAT_COLUMNS.join(",")},`];
  for (const be of hap.backends.keys()) {
    if (only !== undefined && be !== only) continue;
    const servers = hap.servers(be);
    for (const s of servers) {
      lines.push(
        [
          be,
          s.name,
          0,
          s.sessions,
          s.totalSessions,
          statStatus(hap, s),
          statWeight(hap, s),
          1,
          2,
          s.lastCheck === undefined ? "" : s.lastCheck ? "L7OK" : "L4CON",
          joinHostPort(s.addr, s.port),
          s.uweight,
        ].join(",") + ",",
      );
    }
    const live = servers.filter((s) => hap.routable(s));
    const weight = live.reduce((n, s) => n + effectiveWeight(s, hap.clock.nowMs()), 0);
    const scur = servers.reduce((n, s) => n + s.sessions, 0);
    const stot = servers.reduce((n, s) => n + s.totalSessions, 0);
    const uweight = live.reduce((n, s) => n + s.uweight, 0);
    // HAProxy: UP with routable weight, or without any server at all
    const status = live.length > 0 || servers.length === 0 ? "UP" : "DOWN";
    lines.push(
      [be, "BACKEND", 0, scur, stot, status, weight, live.length, 1, "", "", uweight]
        .join(",") + ",",
    );
  }
  return lines.join("\n") + "\n";
}

/** `show info` (the fields the product reads, plus a few). */
export function formatInfo(hap: SimHaproxy): string {
  const startSec = EPOCH_SEC + Math.floor(hap.startMs / 1000);
  const uptime = Math.floor((hap.clock.nowMs() - hap.startMs) / 1000);
  return [
    "Name: HAProxy",
    `Version: ${hap.version}`,
    `Pid: ${hap.pid}`,
    `Uptime_sec: ${uptime}`,
    `Start_time_sec: ${startSec}`,
    `Stopping: ${hap.stopping ? 1 : 0}`,
    "",
  ].join("\n");
}

/**
 * The `show servers state [b]`, `show stat [b ...]`, `show info` and `show version` replies of
 * `hap` for the words `w`; undefined for any other `show`.
 */
export function show(
  hap: SimHaproxy,
  w: readonly string[],
  say: (level: "info" | "err", text: string) => string,
): string | undefined {
  if (w[1] === "servers" && w[2] === "state") {
    const only = w[3];
    if (only !== undefined && !hap.backends.has(only)) return say("err", "Can't find backend.");
    return formatServersState(hap, only);
  }
  if (w[1] === "stat") {
    const only = w[2];
    if (only !== undefined && !hap.backends.has(only)) return say("err", "No such proxy.");
    return formatStat(hap, only);
  }
  if (w.length === 2 && w[1] === "info") return formatInfo(hap);
  if (w.length === 2 && w[1] === "version") return say("info", hap.version);
  return undefined;
}
