/**
 * Histograms with fixed buckets: per label set, a count per bucket, the sum and the count of
 * observations. Rendered cumulatively (`_bucket{le="..."}`, ending at `le="+Inf"` == `_count`).
 *
 * @module
 */

import { MetricDefinitionError } from "./errors.ts";
import { formatLabels, formatValue } from "./format.ts";
import type { Family, FamilyDeps } from "./instruments.ts";
import { type LabelArgs, type Labels, SeriesTable } from "./series.ts";

/** Prometheus' default buckets, in seconds: 5 ms to 10 s. */
export const DEFAULT_BUCKETS: readonly number[] = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/** Most finite buckets a histogram may have (each label set costs one number per bucket). */
export const BUCKETS_MAX = 64;

interface HistogramState {
  /** Observations per bucket, not cumulative; the last slot is the `+Inf` overflow bucket. */
  readonly counts: number[];
  sum: number;
  count: number;
}

/** Checks and normalises bucket bounds: finite, strictly increasing, `+Inf` implied. */
export function checkBuckets(metric: string, buckets: readonly number[]): number[] {
  const finite = buckets.at(-1) === Infinity ? buckets.slice(0, -1) : [...buckets];
  const fail = (why: string) =>
    new MetricDefinitionError(`Cannot define histogram ${JSON.stringify(metric)}: ${why}`);
  if (finite.length > BUCKETS_MAX) throw fail(`more than ${BUCKETS_MAX} buckets`);
  finite.forEach((b, i) => {
    if (!Number.isFinite(b)) throw fail(`bucket ${b} is not a finite number`);
    if (i > 0 && b <= finite[i - 1]!) throw fail("buckets must be strictly increasing");
  });
  return finite;
}

/**
 * Distribution of observed values (latencies, sizes).
 *
 * @example
 * ```ts
 * import { Registry } from "./registry.ts";
 * const r = new Registry();
 * const h = r.histogram({ name: "rpc_seconds", help: "RPC latency.", buckets: [0.1, 1] });
 * h.observe(0.5);
 * console.assert(r.render().includes('rpc_seconds_bucket{le="+Inf"} 1'));
 * ```
 */
export class Histogram<L extends string = never> implements Family {
  readonly type = "histogram" as const;
  readonly sampleNames: readonly string[];
  readonly #table: SeriesTable<HistogramState>;
  readonly #labelNames: readonly L[];
  readonly #buckets: readonly number[];

  /** Use {@linkcode Registry.histogram}. */
  constructor(
    readonly name: string,
    readonly help: string,
    init: { labelNames: readonly L[]; buckets: readonly number[]; deps: FamilyDeps },
  ) {
    if ((init.labelNames as readonly string[]).includes("le")) {
      throw new MetricDefinitionError(
        `Cannot define histogram ${JSON.stringify(name)}: "le" is reserved for buckets`,
      );
    }
    this.#labelNames = init.labelNames;
    this.#buckets = checkBuckets(name, init.buckets);
    this.sampleNames = [`${name}_bucket`, `${name}_sum`, `${name}_count`];
    const slots = this.#buckets.length + 1;
    this.#table = new SeriesTable(name, init.labelNames, {
      ...init.deps,
      make: () => ({ counts: new Array<number>(slots).fill(0), sum: 0, count: 0 }),
    });
    if (init.labelNames.length === 0) this.#table.get(undefined);
  }

  /** Records one observation. NaN is a programmer error. */
  observe(...args: LabelArgs<L, [value: number]>): void {
    const hasLabels = this.#labelNames.length > 0;
    const labels = hasLabels ? args[0] as Labels<L> : undefined;
    const value = (hasLabels ? args[1] : args[0]) as number;
    if (typeof value !== "number" || Number.isNaN(value)) {
      throw new MetricDefinitionError(`Cannot observe ${value} in ${JSON.stringify(this.name)}`);
    }
    const state = this.#table.get(labels);
    if (!state) return;
    let i = 0;
    while (i < this.#buckets.length && value > this.#buckets[i]!) i++;
    state.counts[i]!++;
    state.sum += value;
    state.count++;
  }

  /** Count and sum for one label set, or `undefined` when it has no series. */
  snapshot(...args: LabelArgs<L, []>): { count: number; sum: number } | undefined {
    const state = this.#table.find(args[0] as Labels<L> | undefined);
    return state ? { count: state.count, sum: state.sum } : undefined;
  }

  /** Forgets one label set; true when it existed. */
  remove(...args: LabelArgs<L, []>): boolean {
    return this.#table.remove(args[0] as Labels<L> | undefined);
  }

  collect(lines: string[]): void {
    const names = [...this.#labelNames, "le"];
    for (const { values, state } of this.#table.sorted()) {
      let cumulative = 0;
      const bounds = [...this.#buckets, Infinity];
      bounds.forEach((bound, i) => {
        cumulative += state.counts[i]!;
        const labels = formatLabels(names, [...values, formatValue(bound)]);
        lines.push(`${this.name}_bucket${labels} ${cumulative}`);
      });
      const plain = formatLabels(this.#labelNames, values);
      lines.push(`${this.name}_sum${plain} ${formatValue(state.sum)}`);
      lines.push(`${this.name}_count${plain} ${state.count}`);
    }
  }
}
