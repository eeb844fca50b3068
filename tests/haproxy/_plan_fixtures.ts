/**
 * Builders shared by the plan tests: desired and observed servers and plan inputs with defaults.
 *
 * @module
 */

import type { DesiredServer, ObservedServer, PlanInput } from "../../lib/haproxy/mod.ts";

/** The backend of every plan test. */
export const BE = "be_app";

/** A desired server with test defaults. */
export function want(name: string, over: Partial<DesiredServer> = {}): DesiredServer {
  return { name, addr: "10.0.0.1", port: 8080, weight: 10, state: "ready", ...over };
}

/** An observed server with test defaults. */
export function seen(name: string, over: Partial<ObservedServer> = {}): ObservedServer {
  return {
    name,
    addr: "10.0.0.1",
    port: 8080,
    admin: "ready",
    uweight: 10,
    checkConfigured: false,
    checkEnabled: false,
    ...over,
  };
}

/** A plan input for `BE` with test defaults. */
export function input(
  desired: DesiredServer[],
  observed: ObservedServer[],
  over: Partial<PlanInput> = {},
): PlanInput {
  return {
    desired: new Map([[BE, desired]]),
    observed: new Map([[BE, observed]]),
    prefix: "shoal-",
    nowMs: 1000,
    drainTimeoutMs: 500,
    drainStartedMs: new Map(),
    ...over,
  };
}
