/**
 * Parsing of readiness and health specifications and durations. Pure.
 *
 * Readiness: `tcp` (default), `notify`, `http:PATH`, `exec:CMD`, `delay:DUR`.
 * Health: `http:PATH`, `exec:CMD`.
 *
 * @module
 */

import { SpecError } from "./errors.ts";

/** How the supervisor decides that the worker is ready. */
export type ReadinessSpec =
  /** A TCP connection made through the bound port has been accepted by the worker. */
  | { readonly kind: "tcp" }
  /** The worker sent `READY=1` on `NOTIFY_SOCKET` (sd_notify protocol). */
  | { readonly kind: "notify" }
  /** `GET PATH` through the bound port answers with a 2xx or 3xx status. */
  | { readonly kind: "http"; readonly path: string }
  /** `/bin/sh -c CMD` exits 0. */
  | { readonly kind: "exec"; readonly command: string }
  /** A fixed delay after spawning; explicit opt-in only. */
  | { readonly kind: "delay"; readonly delayMs: number };

/** How the supervisor checks the worker's health after it is ready. */
export type HealthSpec =
  | { readonly kind: "http"; readonly path: string }
  | { readonly kind: "exec"; readonly command: string };

/**
 * Parses a readiness specification.
 *
 * @example
 * ```ts
 * import { parseReadinessSpec } from "./probe_spec.ts";
 * console.assert(parseReadinessSpec("http:/healthz").kind === "http");
 * ```
 */
export function parseReadinessSpec(text: string): ReadinessSpec {
  if (text === "tcp" || text === "notify") return { kind: text };
  if (text.startsWith("delay:")) return { kind: "delay", delayMs: parseDurationMs(text.slice(6)) };
  const probe = parseProbe(text);
  if (probe !== undefined) return probe;
  throw new SpecError(
    `Cannot parse readiness "${text}": expected tcp, notify, http:PATH, exec:CMD or delay:DUR`,
  );
}

/** Parses a health specification (`http:PATH` or `exec:CMD`). */
export function parseHealthSpec(text: string): HealthSpec {
  const probe = parseProbe(text);
  if (probe !== undefined) return probe;
  throw new SpecError(`Cannot parse health check "${text}": expected http:PATH or exec:CMD`);
}

function parseProbe(text: string): HealthSpec | undefined {
  if (text.startsWith("http:")) {
    const path = text.slice(5);
    if (!/^\/[\x21-\x7e]*$/.test(path)) {
      throw new SpecError(
        `Cannot parse "${text}": the HTTP path must start with / and be printable`,
      );
    }
    return { kind: "http", path };
  }
  if (text.startsWith("exec:")) {
    const command = text.slice(5).trim();
    if (command === "") throw new SpecError(`Cannot parse "${text}": the command is empty`);
    return { kind: "exec", command };
  }
  return undefined;
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration such as `250ms`, `1.5s`, `2m` or `1h` into milliseconds.
 *
 * @example
 * ```ts
 * import { parseDurationMs } from "./probe_spec.ts";
 * console.assert(parseDurationMs("1.5s") === 1500);
 * ```
 */
export function parseDurationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (m === null) {
    throw new SpecError(`Cannot parse duration "${text}": expected e.g. 500ms, 2s, 1m`);
  }
  return Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
}
