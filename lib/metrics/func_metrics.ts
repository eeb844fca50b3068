/**
 * Metrics whose values are computed at scrape time by a callback: gauges such as "seconds since
 * the last HAProxy contact", and counters kept elsewhere (the gossip shell's own counters).
 *
 * @module
 */

import { formatLabels, formatValue } from "./format.ts";
import type { Family, FamilyDeps, MetricType } from "./instruments.ts";
import { type Labels, SeriesTable } from "./series.ts";

/**
 * What a callback returns: one number for a metric without labels, otherwise `[labels, value]`
 * pairs (a repeated label set keeps its last value).
 */
export type Collected<L extends string> = [L] extends [never] ? number
  : Iterable<readonly [Labels<L>, number]>;

/** A counter or gauge read from `collect` on every scrape. */
export class FuncMetric<L extends string = never> implements Family {
  readonly sampleNames: readonly string[] = [];
  readonly #labelNames: readonly L[];
  readonly #collect: () => Collected<L>;
  readonly #deps: FamilyDeps;

  /** Use {@linkcode Registry.counterFunc} or {@linkcode Registry.gaugeFunc}. */
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: Exclude<MetricType, "histogram">,
    init: { labelNames: readonly L[]; collect: () => Collected<L>; deps: FamilyDeps },
  ) {
    this.#labelNames = init.labelNames;
    this.#collect = init.collect;
    this.#deps = init.deps;
  }

  /**
   * Calls the callback and appends its samples. A throwing callback exposes nothing this scrape
   * and counts a `collect_error` drop; label sets beyond the bound are dropped and counted.
   */
  collect(lines: string[]): void {
    let result: Collected<L>;
    try {
      result = this.#collect();
    } catch {
      // The callback reads live role state: whatever it throws, this series is dropped and
      // counted, and the rest of the scrape is still served.
      this.#deps.onDrop(this.name, "collect_error");
      return;
    }
    if (this.#labelNames.length === 0) {
      if (typeof result === "number") lines.push(`${this.name} ${formatValue(result)}`);
      else this.#deps.onDrop(this.name, "collect_error");
      return;
    }
    const table = new SeriesTable<{ value: number }>(this.name, this.#labelNames, {
      ...this.#deps,
      make: () => ({ value: 0 }),
    });
    try {
      for (const [labels, value] of result as Iterable<readonly [Labels<L>, number]>) {
        const state = table.get(labels);
        if (state) state.value = value;
      }
    } catch {
      // The callback reads live role state: whatever it throws, this series is dropped and
      // counted, and the rest of the scrape is still served.
      this.#deps.onDrop(this.name, "collect_error");
      return;
    }
    for (const s of table.sorted()) {
      lines.push(
        `${this.name}${formatLabels(this.#labelNames, s.values)} ${formatValue(s.state.value)}`,
      );
    }
  }
}
