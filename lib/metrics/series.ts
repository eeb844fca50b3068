/**
 * The label sets of one metric, with a hard bound on how many exist. Label values can come from
 * the network (node names, backends named in announces), so a metric never holds more than
 * `labelSetsMax` series; observations for further label sets are dropped and counted.
 *
 * @module
 */

import { MetricDefinitionError } from "./errors.ts";

/** Label values by label name. */
export type Labels<L extends string> = { readonly [K in L]: string };

/**
 * Arguments of a metric operation: the label values first when the metric has labels, nothing
 * otherwise (`counter.inc()` vs `counter.inc({ backend: "web" })`).
 */
export type LabelArgs<L extends string, Rest extends unknown[]> = [L] extends [never] ? Rest
  : [labels: Labels<L>, ...Rest];

/** Why a sample was not recorded or not exposed. */
export type DropReason = "label_sets" | "label_value_length" | "collect_error";

/** Receives every drop, for the registry's own `shoal_metrics_dropped_total`. */
export type DropSink = (metric: string, reason: DropReason) => void;

/** Bounds of one metric's label sets. */
export interface SeriesBounds {
  /** Most label sets (series) one metric holds. */
  readonly labelSetsMax: number;
  /** Longest label value accepted, in UTF-16 code units. */
  readonly labelValueLengthMax: number;
}

/** One series: its label values (parallel to the metric's label names) and its state. */
export interface Series<S> {
  readonly values: readonly string[];
  readonly state: S;
}

/** The bounded map from label values to per-series state. */
export class SeriesTable<S> {
  readonly #map = new Map<string, Series<S>>();
  readonly #metric: string;
  readonly #labelNames: readonly string[];
  readonly #bounds: SeriesBounds;
  readonly #onDrop: DropSink;
  readonly #make: () => S;

  /** Creates an empty table; `make` builds the state of a new series. */
  constructor(
    metric: string,
    labelNames: readonly string[],
    deps: { bounds: SeriesBounds; onDrop: DropSink; make: () => S },
  ) {
    this.#metric = metric;
    this.#labelNames = labelNames;
    this.#bounds = deps.bounds;
    this.#onDrop = deps.onDrop;
    this.#make = deps.make;
  }

  /** Number of series held. */
  get size(): number {
    return this.#map.size;
  }

  /**
   * The state for `labels`, created on first use; `undefined` (and a counted drop) when a new
   * series would exceed `labelSetsMax` or a value is too long. A missing or unknown label name is
   * a programmer error and throws {@linkcode MetricDefinitionError}.
   */
  get(labels: Readonly<Record<string, string>> | undefined): S | undefined {
    const values = this.valuesOf(labels);
    if (values === undefined) return undefined;
    const key = JSON.stringify(values);
    const found = this.#map.get(key);
    if (found) return found.state;
    if (this.#map.size >= this.#bounds.labelSetsMax) {
      this.#onDrop(this.#metric, "label_sets");
      return undefined;
    }
    const series = { values, state: this.#make() };
    this.#map.set(key, series);
    return series.state;
  }

  /** Forgets the series for `labels`; true when it existed. */
  remove(labels: Readonly<Record<string, string>> | undefined): boolean {
    const values = this.valuesOf(labels);
    return values !== undefined && this.#map.delete(JSON.stringify(values));
  }

  /** Forgets every series. */
  clear(): void {
    this.#map.clear();
  }

  /** Every series, ordered by label values (stable output for scrapes and golden tests). */
  sorted(): Series<S>[] {
    return [...this.#map.values()].sort((a, b) => compareValues(a.values, b.values));
  }

  /** The state for `labels` if that series exists; never creates one or counts a drop. */
  find(labels: Readonly<Record<string, string>> | undefined): S | undefined {
    return this.#map.get(JSON.stringify(this.#ordered(labels)))?.state;
  }

  /**
   * Checks `labels` against the label names and returns the values in label-name order;
   * `undefined` (and a counted drop) when a value is longer than `labelValueLengthMax`.
   */
  valuesOf(labels: Readonly<Record<string, string>> | undefined): string[] | undefined {
    const values = this.#ordered(labels);
    if (values.some((v) => v.length > this.#bounds.labelValueLengthMax)) {
      this.#onDrop(this.#metric, "label_value_length");
      return undefined;
    }
    return values;
  }

  #ordered(labels: Readonly<Record<string, string>> | undefined): string[] {
    const given = labels ?? {};
    const keys = Object.keys(given);
    if (
      keys.length !== this.#labelNames.length || keys.some((k) => !this.#labelNames.includes(k))
    ) {
      throw new MetricDefinitionError(
        `Cannot record ${JSON.stringify(this.#metric)}: labels ${
          JSON.stringify(keys)
        } do not match its label names ${JSON.stringify(this.#labelNames)}`,
      );
    }
    return this.#labelNames.map((name) => {
      const v = given[name];
      if (typeof v !== "string") {
        throw new MetricDefinitionError(
          `Cannot record ${JSON.stringify(this.#metric)}: label ${name} must be a string`,
        );
      }
      return v;
    });
  }
}

/** Orders label-value lists element by element (code-unit order). */
export function compareValues(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!, y = b[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}
