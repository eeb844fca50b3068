/**
 * The frozen configuration each role receives from the command line. Roles never read flags,
 * environment variables or globals themselves: the composition root hands them one of these.
 *
 * @module
 */

import type { LogLevel } from "./log/logger.ts";

/** A host and port (`host` is an IP literal or DNS name, IPv6 without brackets). */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** Logging settings every role shares. */
export interface LogConfig {
  readonly level: LogLevel;
  readonly format: "auto" | "json" | "text";
}

/** memberlist timing preset. */
export type GossipProfile = "lan" | "wan" | "local";

/** Gossip membership settings shared by agent, sidecar and task. */
export interface GossipConfig {
  readonly node: string;
  readonly bind: Endpoint;
  readonly advertise: Endpoint | null;
  /** Join targets as given (`host[:port]`, port defaulted to 7946). */
  readonly join: readonly string[];
  readonly tags: ReadonlyMap<string, string>;
  /** Base64 encryption key, validated for length. */
  readonly encryptKey: string | null;
  /** The operator asked to run without a key (`--insecure`); sidecar and task refuse otherwise. Absent: no. */
  readonly insecure?: boolean;
  readonly rpcAddr: Endpoint | null;
  readonly rpcAuth: string | null;
  readonly snapshotDir: string | null;
  readonly profile: GossipProfile;
  readonly reconnectTimeoutMs: number;
  readonly tombstoneTimeoutMs: number;
  readonly metricsAddr: Endpoint | null;
}

/** `shoal agent`. */
export interface AgentConfig {
  readonly role: "agent";
  readonly log: LogConfig;
  readonly gossip: GossipConfig;
}

/** `shoal sidecar`. */
export interface SidecarConfig {
  readonly role: "sidecar";
  readonly log: LogConfig;
  readonly gossip: GossipConfig;
  readonly haproxySocket: string;
  /** HAProxy's `server-state-file`, saved after every pass; null when not kept. */
  readonly serverStateFile: string | null;
  readonly defaultBackend: string;
  /** Backends tasks may join; always contains `defaultBackend`. */
  readonly backends: readonly string[];
  readonly serverPrefix: string;
  readonly solicitIntervalMs: number;
  readonly reconcileIntervalMs: number;
  readonly orphanGraceMs: number;
  readonly drainTimeoutMs: number;
  readonly defaultWeight: number;
  readonly slowstartMs: number;
  /** HAProxy command to supervise (after `--`); empty when HAProxy runs elsewhere. */
  readonly haproxyCommand: readonly string[];
  /** This HAProxy's zone: tasks of other zones are `backup` servers. Null: all alike. */
  readonly zone: string | null;
  /** Backend → validated extra `add server` keywords (`--server-options`). */
  readonly serverOptions: ReadonlyMap<string, readonly string[]>;
  /** Wrap a supervised HAProxy's output lines into the structured log. */
  readonly logHaproxy: boolean;
}

/** `shoal task`. */
export interface TaskConfig {
  readonly role: "task";
  readonly log: LogConfig;
  readonly gossip: GossipConfig;
  readonly joinSrv: string | null;
  readonly listenAddr: Endpoint;
  readonly backend: string | null;
  readonly weight: number | null;
  /** `--zone`; null: looked up in the ECS or EC2 metadata at start (none when not found). */
  readonly zone: string | null;
  /** Readiness check spec: `http:PATH`, `notify`, `exec:CMD` or `delay:DURATION`. */
  readonly ready: string;
  readonly readyTimeoutMs: number;
  readonly health: string | null;
  readonly healthIntervalMs: number;
  readonly healthRise: number;
  readonly healthFall: number;
  readonly drainTimeoutMs: number;
  readonly killTimeoutMs: number;
  readonly logWorker: boolean;
  /** The worker command and its arguments. */
  readonly worker: readonly string[];
}

/** `shoal members`. */
export interface MembersConfig {
  readonly role: "members";
  readonly rpcAddr: Endpoint;
  readonly rpcAuth: string | null;
  readonly status: string | null;
  readonly name: string | null;
  readonly tags: ReadonlyMap<string, string>;
  readonly format: "table" | "json";
}

/** Every command's configuration. */
export type Config =
  | AgentConfig
  | SidecarConfig
  | TaskConfig
  | MembersConfig
  | { readonly role: "keygen" }
  | { readonly role: "version" };
