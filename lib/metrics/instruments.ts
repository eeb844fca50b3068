/**
 * Counters, gauges and histograms whose values are kept in memory and recorded by the code.
 * Instances are created by {@linkcode Registry}; see `registry.ts`.
 *
 * @module
 */

import { MetricDefinitionError } from "./errors.ts";
import { formatLabels, formatValue } from "./format.ts";
import { type LabelArgs, type Labels, type SeriesBounds, SeriesTable } from "./series.ts";
import type { DropSink } from "./series.ts";

/** The metric types of the text format that shoal uses. */
export type MetricType = "counter" | "gauge" | "histogram";

/** What the registry needs from every metric to render it. */
export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  /** Names the metric's samples use besides `name` (histogram suffixes). */
  readonly sampleNames: readonly string[];
  /** Appends this metric's sample lines (no HELP/TYPE) to `lines`. */
  collect(lines: string[]): void;
}

/** What every metric's constructor receives from the registry. */
export interface FamilyDeps {
  readonly bounds: SeriesBounds;
  readonly onDrop: DropSink;
}

/** Options common to every metric. */
export interface MetricOptions<L extends string> {
  /** Metric name, `[a-zA-Z_:][a-zA-Z0-9_:]*`; counters end in `_total` by convention. */
  readonly name: string;
  /** One line of help text. */
  readonly help: string;
  /** Label names, fixed for the metric's life. @default [] */
  readonly labelNames?: readonly L[];
  /** Most label sets this metric holds. @default the registry's `labelSetsMax` */
  readonly labelSetsMax?: number;
}

function split<L extends string, R extends unknown[]>(
  hasLabels: boolean,
  args: LabelArgs<L, R>,
): [Labels<L> | undefined, R] {
  if (!hasLabels) return [undefined, args as unknown as R];
  const [labels, ...rest] = args as unknown as [Labels<L>, ...R];
  return [labels, rest as R];
}

abstract class Scalar<L extends string> implements Family {
  abstract readonly type: MetricType;
  readonly sampleNames: readonly string[] = [];
  protected readonly table: SeriesTable<{ value: number }>;

  constructor(
    readonly name: string,
    readonly help: string,
    protected readonly labelNames: readonly L[],
    deps: FamilyDeps,
  ) {
    this.table = new SeriesTable(name, labelNames, { ...deps, make: () => ({ value: 0 }) });
    // A metric without labels has exactly one series, present from the start.
    if (labelNames.length === 0) this.table.get(undefined);
  }

  /** The current value for the label set, or `undefined` when it has no series. */
  value(...args: LabelArgs<L, []>): number | undefined {
    const [labels] = split<L, []>(this.labelNames.length > 0, args);
    return this.table.find(labels)?.value;
  }

  /** Forgets one label set (for example a backend that was removed); true when it existed. */
  remove(...args: LabelArgs<L, []>): boolean {
    const [labels] = split<L, []>(this.labelNames.length > 0, args);
    return this.table.remove(labels);
  }

  /** Forgets every label set (a metric without labels goes back to 0). */
  reset(): void {
    this.table.clear();
    if (this.labelNames.length === 0) this.table.get(undefined);
  }

  collect(lines: string[]): void {
    for (const s of this.table.sorted()) {
      lines.push(
        `${this.name}${formatLabels(this.labelNames, s.values)} ${formatValue(s.state.value)}`,
      );
    }
  }

  protected add(args: unknown[], sign: 1 | -1): void {
    const [labels, rest] = split<L, [number?]>(this.labelNames.length > 0, args as never);
    const amount = rest[0] ?? 1;
    if (Number.isNaN(amount)) {
      throw new MetricDefinitionError(`Cannot change ${JSON.stringify(this.name)} by NaN`);
    }
    const state = this.table.get(labels);
    if (state) state.value += sign * amount;
  }
}

/**
 * A value that only goes up (restarts reset it to 0).
 *
 * @example
 * ```ts
 * import { Registry } from "./registry.ts";
 * const r = new Registry();
 * const c = r.counter({ name: "jobs_total", help: "Jobs.", labelNames: ["result"] });
 * c.inc({ result: "ok" });
 * console.assert(r.render().includes('jobs_total{result="ok"} 1'));
 * ```
 */
export class Counter<L extends string = never> extends Scalar<L> {
  readonly type = "counter" as const;

  /** Adds `amount` (default 1, must not be negative). */
  inc(...args: LabelArgs<L, [amount?: number]>): void {
    const amount = (this.labelNames.length > 0 ? args[1] : args[0]) as number | undefined;
    if (amount !== undefined && amount < 0) {
      throw new MetricDefinitionError(
        `Cannot decrease counter ${JSON.stringify(this.name)} (by ${amount})`,
      );
    }
    this.add(args, 1);
  }
}

/**
 * A value that goes up and down.
 *
 * @example
 * ```ts
 * import { Registry } from "./registry.ts";
 * const r = new Registry();
 * const g = r.gauge({ name: "queue_depth", help: "Depth." });
 * g.set(3);
 * g.dec();
 * console.assert(g.value() === 2);
 * ```
 */
export class Gauge<L extends string = never> extends Scalar<L> {
  readonly type = "gauge" as const;

  /** Sets the value. */
  set(...args: LabelArgs<L, [value: number]>): void {
    const [labels, rest] = split<L, [number]>(this.labelNames.length > 0, args);
    const state = this.table.get(labels);
    if (state) state.value = rest[0];
  }

  /** Adds `amount` (default 1). */
  inc(...args: LabelArgs<L, [amount?: number]>): void {
    this.add(args, 1);
  }

  /** Subtracts `amount` (default 1). */
  dec(...args: LabelArgs<L, [amount?: number]>): void {
    this.add(args, -1);
  }
}
