/**
 * Parsers for `show info` and `show version`.
 *
 * @module
 */

import { HaproxyProtocolError, stripSeverity } from "./errors.ts";

/** The `show info` fields that identify a running HAProxy process. */
export interface ProcessInfo {
  /** Worker process id. */
  readonly pid: number;
  /** Process start, seconds since the Unix epoch. With `pid` it tells restarts apart. */
  readonly startTimeSec: number;
  /** Seconds since the process started. */
  readonly uptimeSec: number;
  /** True while the process is soft-stopping after a reload; reconnect to reach the new one. */
  readonly stopping: boolean;
  /** Version string, such as `2.6.12-1+deb12u4`. */
  readonly version: string;
  /** Every `Key: value` line. */
  readonly fields: ReadonlyMap<string, string>;
}

/**
 * Parses a `show info` reply.
 *
 * @example
 * ```ts
 * import { parseInfo } from "./info.ts";
 * const info = parseInfo("Version: 2.6.12\nPid: 42\nUptime_sec: 3\nStopping: 0\nStart_time_sec: 9\n");
 * console.assert(info.pid === 42 && !info.stopping);
 * ```
 */
export function parseInfo(text: string): ProcessInfo {
  const fields = new Map<string, string>();
  for (const line of text.split("\n")) {
    const at = line.indexOf(": ");
    if (at > 0) fields.set(line.slice(0, at), line.slice(at + 2));
  }
  const int = (key: string): number => {
    const n = Number(fields.get(key));
    if (!fields.has(key) || !Number.isInteger(n)) {
      throw new HaproxyProtocolError(`'show info' lacks an integer ${key}`);
    }
    return n;
  };
  return {
    pid: int("Pid"),
    startTimeSec: int("Start_time_sec"),
    uptimeSec: int("Uptime_sec"),
    stopping: int("Stopping") !== 0,
    version: fields.get("Version") ?? "",
    fields,
  };
}

/** A parsed HAProxy version string such as `2.6.12-1+deb12u4`. */
export interface HaproxyVersion {
  /** Major version. */
  readonly major: number;
  /** Minor version. */
  readonly minor: number;
  /** Patch level (0 when absent). */
  readonly patch: number;
  /** The text as HAProxy printed it. */
  readonly raw: string;
}

/**
 * Parses a `show version` reply (or the `Version` field of `show info`).
 *
 * @example
 * ```ts
 * import { parseVersion } from "./info.ts";
 * console.assert(parseVersion("[info]: 2.6.12-1+deb12u4\n").minor === 6);
 * ```
 */
export function parseVersion(text: string): HaproxyVersion {
  const raw = stripSeverity(text).trim();
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(raw);
  if (!match) throw new HaproxyProtocolError(`Unreadable HAProxy version ${JSON.stringify(raw)}`);
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3] ?? 0),
    raw,
  };
}

/** True when `v` is at least `major.minor`. */
export function versionAtLeast(v: HaproxyVersion, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}
