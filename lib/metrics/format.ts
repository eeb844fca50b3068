/**
 * The Prometheus text exposition format 0.0.4: name rules, escaping and number formatting.
 *
 * Reference: a sample line is `name{label="value",...} value`; `# HELP name text` escapes `\` and
 * newline; label values escape `\`, `"` and newline. Numbers are Go floats: `NaN`, `+Inf`, `-Inf`.
 *
 * @module
 */

import { MetricDefinitionError } from "./errors.ts";

/** The content type of `/metrics` responses. */
export const TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * True when `name` is a valid metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`).
 *
 * @example
 * ```ts
 * import { isValidMetricName } from "./format.ts";
 * console.assert(isValidMetricName("shoal_gossip_probes_total"));
 * console.assert(!isValidMetricName("9lives"));
 * ```
 */
export function isValidMetricName(name: string): boolean {
  return METRIC_NAME.test(name);
}

/**
 * True when `name` may be a label name: `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`
 * (reserved for Prometheus itself).
 *
 * @example
 * ```ts
 * import { isValidLabelName } from "./format.ts";
 * console.assert(isValidLabelName("backend"));
 * console.assert(!isValidLabelName("__name__"));
 * ```
 */
export function isValidLabelName(name: string): boolean {
  return LABEL_NAME.test(name) && !name.startsWith("__");
}

/** Throws {@linkcode MetricDefinitionError} when `name` is not a valid metric name. */
export function assertMetricName(name: string): void {
  if (!isValidMetricName(name)) {
    throw new MetricDefinitionError(
      `Cannot define metric ${JSON.stringify(name)}: the name must match [a-zA-Z_:][a-zA-Z0-9_:]*`,
    );
  }
}

/** Throws {@linkcode MetricDefinitionError} when a label name is invalid or repeated. */
export function assertLabelNames(metric: string, names: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (!isValidLabelName(name)) {
      throw new MetricDefinitionError(
        `Cannot define metric ${JSON.stringify(metric)}: label name ${
          JSON.stringify(name)
        } must match [a-zA-Z_][a-zA-Z0-9_]* and not start with "__"`,
      );
    }
    if (seen.has(name)) {
      throw new MetricDefinitionError(
        `Cannot define metric ${JSON.stringify(metric)}: label name ${
          JSON.stringify(name)
        } is repeated`,
      );
    }
    seen.add(name);
  }
}

/**
 * Escapes a label value: backslash, double quote and line feed.
 *
 * @example
 * ```ts
 * import { escapeLabelValue } from "./format.ts";
 * console.assert(escapeLabelValue('a"b\\c\nd') === 'a\\"b\\\\c\\nd');
 * ```
 */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/**
 * Escapes HELP text: backslash and line feed (quotes stay as they are).
 *
 * @example
 * ```ts
 * import { escapeHelp } from "./format.ts";
 * console.assert(escapeHelp("a\\b\nc") === "a\\\\b\\nc");
 * ```
 */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === "\n" ? "\\n" : "\\\\"));
}

/**
 * Formats a sample value the way Go's Prometheus client does: `NaN`, `+Inf`, `-Inf`, otherwise
 * the shortest round-tripping decimal.
 *
 * @example
 * ```ts
 * import { formatValue } from "./format.ts";
 * console.assert(formatValue(Infinity) === "+Inf");
 * console.assert(formatValue(0.25) === "0.25");
 * ```
 */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  if (Object.is(value, -0)) return "0";
  return String(value);
}

/**
 * Formats `{name="value",...}` (empty string for no labels). `names` and `values` are parallel.
 *
 * @example
 * ```ts
 * import { formatLabels } from "./format.ts";
 * console.assert(formatLabels(["a", "b"], ["x", "y"]) === '{a="x",b="y"}');
 * console.assert(formatLabels([], []) === "");
 * ```
 */
export function formatLabels(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return "";
  const parts = names.map((n, i) => `${n}="${escapeLabelValue(values[i] ?? "")}"`);
  return `{${parts.join(",")}}`;
}
