/**
 * Prometheus metrics for shoal: a small registry rendering the text exposition format 0.0.4
 * (counters, gauges, histograms, scrape-time callbacks; bounded label sets), the `/metrics` and
 * `/healthz` HTTP shell, and the metric definitions of each role.
 *
 * @example
 * ```ts
 * import { createSidecarMetrics, Registry } from "./mod.ts";
 * const registry = new Registry();
 * const sidecar = createSidecarMetrics(registry, { clock: { nowMs: () => 0 } });
 * sidecar.reconcileRuns.inc({ result: "ok" });
 * console.assert(registry.render().includes('shoal_sidecar_reconcile_runs_total{result="ok"} 1'));
 * ```
 *
 * @module
 */

export { BUILD_INFO_METRIC, type BuildInfo, registerBuildInfo } from "./build_info.ts";
export { MetricDefinitionError, MetricsServerError } from "./errors.ts";
export {
  escapeHelp,
  escapeLabelValue,
  formatValue,
  isValidLabelName,
  isValidMetricName,
  TEXT_CONTENT_TYPE,
} from "./format.ts";
export { BUCKETS_MAX, DEFAULT_BUCKETS, Histogram } from "./histogram.ts";
export { Counter, Gauge, type MetricOptions, type MetricType } from "./instruments.ts";
export { type Collected, FuncMetric } from "./func_metrics.ts";
export {
  type FuncMetricOptions,
  type HistogramOptions,
  METRICS_DROPPED_TOTAL,
  Registry,
  type RegistryOptions,
} from "./registry.ts";
export type { DropReason, LabelArgs, Labels } from "./series.ts";
export {
  handleMetricsRequest,
  type HealthStatus,
  type MetricsServer,
  serveMetrics,
  type ServeMetricsOptions,
} from "./server.ts";
export {
  createSidecarMetrics,
  type DriftAction,
  type HaproxyErrorKind,
  type MemberStatus,
  QUERY_DURATION_BUCKETS,
  type QueryResult,
  type ServerState,
  SIDECAR_METRIC_NAMES,
  type SidecarMetrics,
  type SidecarQuery,
} from "./sidecar_metrics.ts";
export {
  type AnnounceResult,
  createTaskMetrics,
  type HealthResult,
  TASK_METRIC_NAMES,
  type TaskMetrics,
  WORKER_STATES,
  type WorkerState,
} from "./task_metrics.ts";
export {
  GOSSIP_METRIC_NAMES,
  type GossipMetricsSource,
  registerGossipMetrics,
  registerRefusalMetrics,
} from "./gossip_metrics.ts";
