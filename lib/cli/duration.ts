/**
 * Durations in Go's syntax (`300ms`, `1.5h`, `2h45m`), as `time.ParseDuration` accepts them and as
 * serf, memberlist and the Go shoal print them.
 *
 * @module
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Thrown when a string is not a Go duration. */
export class DurationError extends Error {
  override name = "DurationError";
}

/**
 * Parses a Go duration into milliseconds (fractions of a millisecond are kept).
 *
 * @example
 * ```ts
 * import { parseDuration } from "./duration.ts";
 * console.assert(parseDuration("1m30s") === 90_000);
 * console.assert(parseDuration("250ms") === 250);
 * ```
 */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === "0" || s === "+0" || s === "-0") return 0;
  const m = /^([+-]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/.exec(s);
  if (!m) {
    throw new DurationError(
      `invalid duration ${JSON.stringify(text)} (use Go syntax like 500ms, 30s, 1m30s)`,
    );
  }
  let total = 0;
  for (const part of m[2]!.matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(part[1]) * UNIT_MS[part[2]!]!;
  }
  return m[1] === "-" ? -total : total;
}

/**
 * Formats milliseconds the way Go's `Duration.String()` does (`1m30s`, `500ms`, `0s`).
 *
 * @example
 * ```ts
 * import { formatDuration } from "./duration.ts";
 * console.assert(formatDuration(90_000) === "1m30s");
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  const sign = ms < 0 ? "-" : "";
  let rest = Math.abs(ms);
  if (rest < 1000) {
    return `${sign}${trimFloat(rest)}ms`;
  }
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const sec = trimFloat(rest / 1000);
  if (h > 0) return `${sign}${h}h${m}m${sec}s`;
  if (m > 0) return `${sign}${m}m${sec}s`;
  return `${sign}${sec}s`;
}

function trimFloat(n: number): string {
  return String(Math.round(n * 1e6) / 1e6);
}
