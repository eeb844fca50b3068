/**
 * What a running role shows a watcher of its bounds (the simulation's "registry, queues and timers
 * bounded" invariant): sizes only, read when asked, nothing it could change. The roots hand one
 * to `onStarted` once the gossip member runs.
 *
 * @module
 */

import type { SerfStats } from "../serf/serf_options.ts";
import type { GossipRuntime } from "./gossip_runtime.ts";

/** Sizes of a running role's tables and queues. */
export interface RoleProbe {
  /** memberlist's broadcast queue, pending acks, running suspicions and member table. */
  gossip(): { broadcasts: number; pendingAcks: number; suspicions: number; nodes: number };
  /** serf's clocks and its intent, event and query broadcast queues. */
  serf(): SerfStats;
  /** Claims the sidecar's registry holds (tasks' servers and adopted ones); 0 for other roles. */
  registered(): number;
}

/** The probe of `runtime`, with `registered` from the role's registry when it has one. */
export function probeOf(runtime: GossipRuntime, registered: () => number = () => 0): RoleProbe {
  return {
    gossip: () => runtime.node.core.queueDepths(),
    serf: () => runtime.serf.stats(),
    registered,
  };
}
