/**
 * What a {@linkcode TaskRunner} is built from: the gossip member, the supervised worker, and
 * the task's settings. Interfaces, so the runner can be driven by fakes as well as real parts.
 *
 * @module
 */

import type { Clock, Prng } from "../../clock.ts";
import type { Logger } from "../../log/logger.ts";
import type { Member, QueryCollector, QueryParams, SerfEvent } from "../../serf/mod.ts";
import type { ExitStatus } from "../../supervisor/mod.ts";

/** The gossip member the task runs (a `GossipRuntime` in production). */
export interface TaskGossip {
  readonly serf: {
    subscribe(listener: (e: SerfEvent) => void): () => void;
    setTags(tags: ReadonlyMap<string, string>): void;
    query(name: string, payload: Uint8Array, params?: QueryParams): QueryCollector;
    members(): Member[];
  };
  /** The address peers (and HAProxy) reach this task at. */
  readonly advertiseHost: string;
  /** Our node name (to tell ourselves from peers in the member list). */
  readonly localName: string;
  /** The members our memberlist currently suspects (serf still reports them alive). */
  suspected(): ReadonlySet<string>;
  /** Calls `listener` each time our memberlist starts suspecting a member; returns the undo. */
  onSuspect(listener: (name: string) => void): () => void;
  join(addrs: readonly string[]): Promise<number>;
  leave(): Promise<void>;
  close(): Promise<void>;
}

/** The supervised worker (a `Supervisor` in production). */
export interface TaskWorker {
  start(): Promise<void>;
  stop(): Promise<ExitStatus>;
  readonly exited: Promise<ExitStatus>;
  readonly address: { readonly port: number } | undefined;
  readonly pid: number | undefined;
}

/** Everything {@linkcode TaskRunner} is built from. */
export interface TaskRunnerOptions {
  readonly gossip: TaskGossip;
  readonly worker: TaskWorker;
  /** The tags besides `state` (user tags with `role=task` forced). */
  readonly tags: ReadonlyMap<string, string>;
  readonly backend: string | null;
  readonly weight: number | null;
  readonly drainTimeoutMs: number;
  /** Join targets for this attempt (static `--join` plus `--join-srv`). */
  joinTargets(): Promise<string[]>;
  readonly clock: Clock;
  readonly prng: Prng;
  readonly log: Logger;
  /** Each sidecar's answer to an announce (for metrics). */
  readonly onAnnounceAnswer?: (accepted: boolean, seconds: number) => void;
  /** The number of sidecars that accepted the current announce changed (for metrics). */
  readonly onRegistered?: (sidecars: number) => void;
}
