/**
 * The state types of the simulated HAProxy ({@linkcode SimHaproxy} in `model.ts`): flavours,
 * backends, servers, options.
 *
 * @module
 */

import type { Clock } from "../../../lib/clock.ts";

/** Which real HAProxy the model imitates (reply framing and a few texts differ). */
export type HaproxyFlavour = "2.6" | "3.2";

/** A backend of the simulated configuration. */
export interface SimBackendConfig {
  readonly name: string;
  /** False for a backend whose balance algorithm cannot take dynamic servers. @default true */
  readonly dynamic?: boolean;
}

/** One server's state. */
export interface SimServer {
  readonly backend: string;
  readonly name: string;
  readonly id: number;
  readonly addr: string;
  readonly port: number;
  uweight: number;
  readonly iweight: number;
  /** `set server ... state`: maint wins over drain. */
  admin: "ready" | "drain" | "maint";
  /** `check` given on `add server`. */
  readonly checkConfigured: boolean;
  /** `enable health` sent. */
  checkEnabled: boolean;
  /** Checks paused: set on entering maint with checks enabled (not when added in maint). */
  checkPaused: boolean;
  readonly rise: number;
  readonly fall: number;
  readonly interMs: number;
  readonly downinterMs: number;
  /** HAProxy's check health counter: UP when `health >= rise`. */
  health: number;
  /** Last check outcome: undefined before the first check. */
  lastCheck: boolean | undefined;
  /** `add server ... enabled` on 2.6: listed UP but never given traffic. */
  readonly zombie: boolean;
  /** `backup`: given traffic only while no active server of the backend is routable. */
  readonly backup: boolean;
  sessions: number;
  totalSessions: number;
  lastChangeMs: number;
  /** `slowstart`: the effective weight ramps up over this long after it becomes routable. */
  readonly slowstartMs: number;
  /** When it last came UP (left maintenance or passed its checks): the `slowstart` ramp's start. */
  rampFromMs: number | undefined;
  /**
   * HAProxy has computed the effective weight (the server came UP, or got `set server weight`):
   * until then `show stat` lists a dynamic server's `weight` as 1.
   */
  weighed: boolean;
}

/** Settings of a {@linkcode SimHaproxy}. */
export interface SimHaproxyOptions {
  readonly clock: Clock;
  readonly backends: readonly SimBackendConfig[];
  /** @default "2.6" */
  readonly flavour?: HaproxyFlavour;
  /** Whether a health check of `addr:port` passes right now (the simulated worker). */
  readonly probe?: (addr: string, port: number) => boolean;
  /** Process id of the first process; each restart adds one. @default 1000 */
  readonly pid?: number;
  /** @internal The log a lingering old process shares with its successor. */
  readonly received?: { atMs: number; line: string; pid: number }[];
}
