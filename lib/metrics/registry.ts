/**
 * A registry of metrics rendered in the Prometheus text format 0.0.4. One registry per process,
 * created by the composition root and handed to the roles; there is no global default registry.
 *
 * @module
 */

import { MetricDefinitionError } from "./errors.ts";
import { assertLabelNames, assertMetricName, escapeHelp } from "./format.ts";
import { type Collected, FuncMetric } from "./func_metrics.ts";
import { DEFAULT_BUCKETS, Histogram } from "./histogram.ts";
import { Counter, type Family, type FamilyDeps, Gauge, type MetricOptions } from "./instruments.ts";
import type { DropReason, SeriesBounds } from "./series.ts";

/** The registry's own counter of samples it refused to record or expose. */
export const METRICS_DROPPED_TOTAL = "shoal_metrics_dropped_total";

/** Options of {@linkcode Registry}. */
export interface RegistryOptions {
  /**
   * Default bound on label sets per metric. Label values can come from the network, so memory
   * stays bounded; a scrape of 1000 series is still cheap.
   * @default 1000
   */
  readonly labelSetsMax?: number;
  /**
   * Longest label value accepted, in UTF-16 code units (node names are at most 128, backend names
   * 64); longer values drop the sample.
   * @default 256
   */
  readonly labelValueLengthMax?: number;
}

/** Options of a histogram. */
export interface HistogramOptions<L extends string> extends MetricOptions<L> {
  /** Upper bounds of the finite buckets, strictly increasing. @default DEFAULT_BUCKETS */
  readonly buckets?: readonly number[];
}

/** Options of a metric computed at scrape time. */
export interface FuncMetricOptions<L extends string> extends MetricOptions<L> {
  /** Returns the current value (no labels) or `[labels, value]` pairs. */
  readonly collect: () => Collected<L>;
}

/**
 * Holds metrics and renders them.
 *
 * @example
 * ```ts
 * import { Registry } from "./registry.ts";
 * const r = new Registry();
 * r.gauge({ name: "up", help: "Always 1." }).set(1);
 * console.assert(r.render().includes("# TYPE up gauge\nup 1\n"));
 * ```
 */
export class Registry {
  readonly #families = new Map<string, Family>();
  readonly #sampleNames = new Set<string>();
  readonly #bounds: SeriesBounds;
  readonly #dropped: Counter<"metric" | "reason">;

  /** Creates an empty registry (plus its own `shoal_metrics_dropped_total`). */
  constructor(options: RegistryOptions = {}) {
    this.#bounds = {
      labelSetsMax: options.labelSetsMax ?? 1000,
      labelValueLengthMax: options.labelValueLengthMax ?? 256,
    };
    // Its label values are metric names defined in code and three reasons: bounded by design.
    this.#dropped = new Counter(
      METRICS_DROPPED_TOTAL,
      "Samples not recorded or not exposed, by metric and reason.",
      ["metric", "reason"],
      { bounds: { labelSetsMax: 10_000, labelValueLengthMax: 1024 }, onDrop: () => {} },
    );
    this.#sampleNames.add(METRICS_DROPPED_TOTAL);
  }

  /** Defines a counter. Throws {@linkcode MetricDefinitionError} on an invalid or taken name. */
  counter<const L extends string = never>(options: MetricOptions<L>): Counter<L> {
    return this.#add(
      new Counter(options.name, options.help, this.#labels(options), this.#deps(options)),
    );
  }

  /** Defines a gauge. */
  gauge<const L extends string = never>(options: MetricOptions<L>): Gauge<L> {
    return this.#add(
      new Gauge(options.name, options.help, this.#labels(options), this.#deps(options)),
    );
  }

  /** Defines a histogram with fixed buckets. */
  histogram<const L extends string = never>(options: HistogramOptions<L>): Histogram<L> {
    return this.#add(
      new Histogram(options.name, options.help, {
        labelNames: this.#labels(options),
        buckets: options.buckets ?? DEFAULT_BUCKETS,
        deps: this.#deps(options),
      }),
    );
  }

  /** Defines a gauge computed by `collect` on every scrape. */
  gaugeFunc<const L extends string = never>(options: FuncMetricOptions<L>): FuncMetric<L> {
    return this.#func("gauge", options);
  }

  /** Defines a counter read from `collect` on every scrape (the value must never decrease). */
  counterFunc<const L extends string = never>(options: FuncMetricOptions<L>): FuncMetric<L> {
    return this.#func("counter", options);
  }

  /** Samples dropped so far for `metric` and `reason` (for tests and self-checks). */
  dropped(metric: string, reason: DropReason): number {
    return this.#dropped.value({ metric, reason }) ?? 0;
  }

  /** Every metric in definition order, then the registry's own, in the text format 0.0.4. */
  render(): string {
    const lines: string[] = [];
    for (const family of [...this.#families.values(), this.#dropped]) {
      lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
      lines.push(`# TYPE ${family.name} ${family.type}`);
      family.collect(lines);
    }
    return lines.join("\n") + "\n";
  }

  #func<L extends string>(
    type: "counter" | "gauge",
    options: FuncMetricOptions<L>,
  ): FuncMetric<L> {
    return this.#add(
      new FuncMetric(options.name, options.help, type, {
        labelNames: this.#labels(options),
        collect: options.collect,
        deps: this.#deps(options),
      }),
    );
  }

  #labels<L extends string>(options: MetricOptions<L>): readonly L[] {
    assertMetricName(options.name);
    const names = options.labelNames ?? [];
    assertLabelNames(options.name, names);
    return [...names];
  }

  #deps(options: MetricOptions<string>): FamilyDeps {
    const max = options.labelSetsMax ?? this.#bounds.labelSetsMax;
    if (!Number.isInteger(max) || max < 1) {
      throw new MetricDefinitionError(
        `Cannot define metric ${
          JSON.stringify(options.name)
        }: labelSetsMax must be a positive integer`,
      );
    }
    return {
      bounds: { ...this.#bounds, labelSetsMax: max },
      onDrop: (metric, reason) => this.#dropped.inc({ metric, reason }),
    };
  }

  #add<F extends Family>(family: F): F {
    for (const name of [family.name, ...family.sampleNames]) {
      if (this.#sampleNames.has(name)) {
        throw new MetricDefinitionError(
          `Cannot define metric ${JSON.stringify(family.name)}: ${JSON.stringify(name)} is taken`,
        );
      }
    }
    this.#families.set(family.name, family);
    for (const name of [family.name, ...family.sampleNames]) this.#sampleNames.add(name);
    return family;
  }
}
