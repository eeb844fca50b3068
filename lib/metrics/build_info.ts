/**
 * `shoal_build_info`: a constant 1 labelled with the version, the Deno runtime and the role, the
 * Prometheus convention for joining build facts onto other series.
 *
 * @module
 */

import type { Registry } from "./registry.ts";

/** The metric's name. */
export const BUILD_INFO_METRIC = "shoal_build_info";

/** What `shoal_build_info` reports. */
export interface BuildInfo {
  /** shoal's version. */
  readonly version: string;
  /** The Deno runtime's version. */
  readonly deno: string;
  /** The role this process runs: sidecar, task or agent. */
  readonly role: string;
}

/**
 * Defines `shoal_build_info` in `registry`.
 *
 * @example
 * ```ts
 * import { Registry } from "./registry.ts";
 * import { registerBuildInfo } from "./build_info.ts";
 * const registry = new Registry();
 * registerBuildInfo(registry, { version: "1.0.0", deno: "2.9.6", role: "task" });
 * const line = 'shoal_build_info{version="1.0.0",deno="2.9.6",role="task"} 1\n';
 * console.assert(registry.render().includes(line));
 * ```
 */
export function registerBuildInfo(registry: Registry, info: BuildInfo): void {
  registry.gaugeFunc({
    name: BUILD_INFO_METRIC,
    help: "Always 1; labels say which shoal version, Deno runtime and role this process runs.",
    labelNames: ["version", "deno", "role"],
    collect: () => [[{ version: info.version, deno: info.deno, role: info.role }, 1]],
  });
}
