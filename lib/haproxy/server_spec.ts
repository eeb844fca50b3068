/**
 * What a dynamic server is made of (`add server` arguments): its endpoint, weight, health
 * checks and extra keywords, validated and turned into the words of the command line.
 *
 * @module
 */

import { parseServerOptions } from "./server_options.ts";
import {
  formatEndpoint,
  parseIp,
  validateInteger,
  validateName,
  validatePort,
  validateWeight,
} from "./validate.ts";

/** Health-check settings for a dynamic server (the check type comes from the backend). */
export interface CheckOptions {
  /** Interval between checks. @default 2000 (HAProxy's default) */
  interMs?: number;
  /** Passing checks needed to go UP. @default 2 */
  rise?: number;
  /** Failing checks needed to go DOWN. @default 3 */
  fall?: number;
  /**
   * Interval while the server is DOWN, which is how a new server starts: a short one makes it
   * routable soon after its worker is ready instead of one `interMs` later.
   * @default interMs (HAProxy's default)
   */
  downinterMs?: number;
}

/** What `add server` needs. */
export interface AddServerSpec {
  /** Backend to add the server to. */
  readonly backend: string;
  /** Server name (1 to 64 characters from `[A-Za-z0-9._-]`). */
  readonly name: string;
  /** An IPv4 or IPv6 literal; host names are refused. */
  readonly addr: string;
  /** Port, 1 to 65535. */
  readonly port: number;
  /** 0 to 256. @default 1 */
  readonly weight?: number;
  /** Health checks; when set the server takes traffic only after passing them. */
  readonly check?: CheckOptions;
  /** HAProxy `slowstart`: ramps the effective weight up over this time after it becomes ready. */
  readonly slowstartMs?: number;
  /** Server id (`id N`, 1 to 2^31-1); HAProxy picks the next free one when absent. */
  readonly id?: number;
  /** A `backup` server: takes traffic only while no normal server of the backend is UP. */
  readonly backup?: boolean;
  /** More keywords, checked by {@linkcode parseServerOptions}, appended as given. */
  readonly options?: readonly string[];
}

/**
 * Validates a server's name, address, port, weight and options, and returns the words that
 * follow `add server B/` (name, endpoint, keywords). Throws {@linkcode ValidationError}.
 */
export function serverWords(spec: Omit<AddServerSpec, "backend">): string[] {
  const words = [
    validateName("server", spec.name),
    formatEndpoint(parseIp(spec.addr), validatePort(spec.port)),
    "weight",
    String(validateWeight(spec.weight ?? 1)),
  ];
  if (spec.slowstartMs !== undefined) {
    words.push("slowstart", `${validateInteger("slowstartMs", spec.slowstartMs, 1, 3_600_000)}ms`);
  }
  if (spec.id !== undefined) {
    words.push("id", String(validateInteger("id", spec.id, 1, 2 ** 31 - 1)));
  }
  if (spec.backup === true) words.push("backup");
  const c = spec.check;
  if (c) {
    words.push("check");
    if (c.interMs !== undefined) {
      words.push("inter", `${validateInteger("check.interMs", c.interMs, 10, 3_600_000)}ms`);
    }
    if (c.rise !== undefined) {
      words.push("rise", String(validateInteger("check.rise", c.rise, 1, 100)));
    }
    if (c.fall !== undefined) {
      words.push("fall", String(validateInteger("check.fall", c.fall, 1, 100)));
    }
    if (c.downinterMs !== undefined) {
      words.push(
        "downinter",
        `${validateInteger("check.downinterMs", c.downinterMs, 10, 3_600_000)}ms`,
      );
    }
  }
  if (spec.options !== undefined && spec.options.length > 0) {
    words.push(...parseServerOptions(spec.options.join(" ")));
  }
  return words;
}
