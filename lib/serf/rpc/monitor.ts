/**
 * The agent RPC's `monitor` (wire spec §9): log lines formatted as serf's agent writes them
 * (`2006/01/02 15:04:05 [INFO] event key=value`), filtered by the levels serf knows.
 *
 * @example
 * ```ts
 * import { monitorLevel, serfLogLine } from "./monitor.ts";
 * const line = serfLogLine({ timeMs: 0, level: "warn", event: "x.y", fields: { node: "a" } });
 * console.assert(line.endsWith("[WARN] x.y node=a"));
 * console.assert(monitorLevel("warn") === 3 && monitorLevel("loud") === null);
 * ```
 *
 * @module
 */

import type { LogLevel } from "../../log/logger.ts";
import type { TapHandler, TapRecord } from "../../log/tap.ts";

/** serf's level names, lowest first (`logutils` levels of the agent). */
export const MONITOR_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERR"] as const;

const LEVEL_RANK: Readonly<Record<LogLevel, number>> = { debug: 1, info: 2, warn: 3, error: 4 };

/** Where a monitor takes its records from (a {@linkcode LogTap}). */
export interface LogSource {
  /** Replays recent records to `handler`, then follows; returns the unsubscribe. */
  subscribe(handler: TapHandler): () => void;
}

/** The rank of a requested level (case-insensitive, as the agent upper-cases it), or `null`. */
export function monitorLevel(name: string): number | null {
  const i = (MONITOR_LEVELS as readonly string[]).indexOf(name.toUpperCase());
  return i < 0 ? null : i;
}

/** True when a record at `level` passes a monitor at rank `min`. */
export function monitorWants(min: number, level: LogLevel): boolean {
  return LEVEL_RANK[level] >= min;
}

const pad = (n: number) => String(n).padStart(2, "0");

function fieldText(v: unknown): string {
  if (v instanceof Error) return v.message;
  if (v instanceof Uint8Array) return [...v].map((b) => b.toString(16).padStart(2, "0")).join("");
  if (v instanceof Map) return JSON.stringify(Object.fromEntries(v));
  if (typeof v === "string") return /[\s"=]/.test(v) || v === "" ? JSON.stringify(v) : v;
  if (typeof v === "bigint") return v.toString();
  return JSON.stringify(v) ?? String(v);
}

/** One record as a serf agent log line (local time, Go's `log.LstdFlags`). */
export function serfLogLine(r: TapRecord): string {
  const d = new Date(r.timeMs);
  const stamp = `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const level = MONITOR_LEVELS[LEVEL_RANK[r.level]];
  const kv = Object.entries(r.fields).map(([k, v]) => ` ${k}=${fieldText(v)}`).join("");
  return `${stamp} [${level}] ${r.event}${kv}`;
}
