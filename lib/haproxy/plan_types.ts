/**
 * The vocabulary of the reconciliation plan ({@linkcode planReconcile} in `plan.ts`): the desired
 * and observed servers it compares, its input, and the steps it returns.
 *
 * @module
 */

import type { CheckOptions } from "./commands.ts";
import type { RampOptions } from "./ramp.ts";
import type { AdminView } from "./servers_state.ts";

/** A server shoal wants in a backend. */
export interface DesiredServer {
  /** Server name; must start with the managed prefix. */
  readonly name: string;
  /** IPv4 or IPv6 literal. */
  readonly addr: string;
  /** Port, 1 to 65535. */
  readonly port: number;
  /** 0 to 256. */
  readonly weight: number;
  /** `ready` takes traffic; `drain` finishes current sessions, then the server is deleted. */
  readonly state: "ready" | "drain";
  /** Health checks; a checked server takes traffic only after passing them. */
  readonly check?: CheckOptions;
  /** HAProxy `slowstart` ramp after the server becomes ready. */
  readonly slowstartMs?: number;
  /**
   * `add server ... id`: the first candidate; when HAProxy says it is taken the executor tries
   * the next ones of `serverIdFor`'s sequence. Dynamic mode only.
   */
  readonly id?: number;
  /** A `backup` server (dynamic mode only). */
  readonly backup?: boolean;
  /** Extra `add server` keywords (dynamic mode only). */
  readonly options?: readonly string[];
}

/** A server as HAProxy reports it. */
export interface ObservedServer {
  /** Server name. */
  readonly name: string;
  /** Address as HAProxy prints it. */
  readonly addr: string;
  /** Port. */
  readonly port: number;
  /** Maintenance, drain or ready. */
  readonly admin: AdminView;
  /** User-set weight. */
  readonly uweight: number;
  /** `check` was given on `add server`. */
  readonly checkConfigured: boolean;
  /** `enable health` was run (or the check comes from the configuration). */
  readonly checkEnabled: boolean;
  /** `srv_op_state`: 0 stopped (down), 1 starting, 2 running, 3 stopping; unknown if absent. */
  readonly opState?: number;
  /** Current and queued sessions; known when `show stat` was read for this backend. */
  readonly sessions?: {
    readonly scur: number;
    readonly qcur: number;
    /** Requests queued at the backend (its `BACKEND` line); undefined when not read. */
    readonly backendQcur?: number;
  };
}

/** Everything {@linkcode planReconcile} looks at. */
export interface PlanInput {
  /** Managed backend → desired servers. Backends not listed here are never touched. */
  readonly desired: ReadonlyMap<string, readonly DesiredServer[]>;
  /** Backend → every server HAProxy reports, managed or not. */
  readonly observed: ReadonlyMap<string, readonly ObservedServer[]>;
  /** Only servers whose name starts with this are managed. */
  readonly prefix: string;
  /** The current time, on the same clock as `drainStartedMs`. */
  readonly nowMs: number;
  /** How long a drain may take before sessions are shut down. */
  readonly drainTimeoutMs: number;
  /** `backend/name` → when its drain started; missing means "now". */
  readonly drainStartedMs: ReadonlyMap<string, number>;
  /** `backend/name` → when a drained server was put in maintenance; missing means "now". */
  readonly maintStartedMs?: ReadonlyMap<string, number>;
  /**
   * Pause between a drained server's maintenance and its `del server`, after which its sessions
   * are checked again (the spec's safety note for 2.6.12's `del server` races). @default 100
   */
  readonly removeSettleMs?: number;
  /** How long a server removed at once stays in maintenance before its delete. @default 5000 */
  readonly removeDelayMs?: number;
  /**
   * `backend/name` → {@linkcode serverOptionsKey} of the options the server was added with. A
   * server listed here whose desired check or slowstart options differ is replaced; servers not
   * listed (for example found at start-up) are assumed to have the desired options.
   */
  readonly appliedOptions?: ReadonlyMap<string, string>;
  /** Stepped ramp, with `backend/name` → when the server became ready. */
  readonly ramp?: RampOptions & { readonly startedMs: ReadonlyMap<string, number> };
}

/** One thing to do to HAProxy. */
export type PlanStep =
  | { readonly kind: "add"; readonly backend: string; readonly server: DesiredServer }
  | {
    readonly kind: "replace";
    readonly backend: string;
    readonly server: DesiredServer;
    readonly reason: "addr" | "check" | "options";
  }
  | { readonly kind: "enableHealth"; readonly backend: string; readonly name: string }
  | {
    readonly kind: "ready";
    readonly backend: string;
    readonly name: string;
    /** Leaving maintenance with checks: start DOWN until checks pass. */
    readonly healthDown: boolean;
  }
  | {
    readonly kind: "setWeight";
    readonly backend: string;
    readonly name: string;
    readonly weight: number;
  }
  | { readonly kind: "drain"; readonly backend: string; readonly name: string }
  /** A drained server goes to maintenance; it is deleted on a later pass if still idle. */
  | {
    readonly kind: "maint";
    readonly backend: string;
    readonly name: string;
    /** Also `shutdown sessions server` (a server removed at once, not drained). */
    readonly shutdownSessions?: boolean;
  }
  | {
    readonly kind: "delete";
    readonly backend: string;
    readonly name: string;
    readonly shutdownSessions: boolean;
    readonly reason: "undesired" | "drained" | "drain-timeout";
  };

/** A drain still waiting for sessions to end. */
export interface WaitingDrain {
  /** Backend of the draining server. */
  readonly backend: string;
  /** Name of the draining server. */
  readonly name: string;
  /** When its remaining sessions will be shut down. */
  readonly deadlineMs: number;
}

/** The ordered steps, plus what is still in progress. */
export interface Plan {
  /** Steps in the order they must be sent. */
  readonly steps: readonly PlanStep[];
  /** Drains still waiting for sessions to end. */
  readonly waiting: readonly WaitingDrain[];
  /** Servers whose stepped ramp has not reached the full weight. */
  readonly ramping: number;
}
