/**
 * Turns resolved flag values into a role's frozen, cross-validated configuration.
 *
 * @module
 */

import type { AgentConfig, MembersConfig, SidecarConfig, TaskConfig } from "../config.ts";
import { ValidationError } from "../haproxy/errors.ts";
import { parseServerOptionsFlag } from "../haproxy/server_options.ts";
import { SpecError } from "../supervisor/errors.ts";
import { parseHealthSpec, parseReadinessSpec } from "../supervisor/probe_spec.ts";
import { envName, type ResolvedFlags } from "./flags.ts";
import { Flags } from "./flag_reader.ts";
import { type ConfigDeps, gossipConfig, logConfig, requireEncryption } from "./gossip_flags.ts";

export type { ConfigDeps } from "./gossip_flags.ts";

/** HAProxy's identifier characters (backend and server names). */
const HAPROXY_IDENT = /^[A-Za-z0-9_.:-]{1,64}$/;
function checkIdent(f: Flags, flag: string, value: string): string {
  if (!HAPROXY_IDENT.test(value)) {
    f.fail(`invalid ${f.origin(flag)} ${JSON.stringify(value)}: use 1-64 of A-Z a-z 0-9 _ . : -`);
  }
  return value;
}

/** Validates a readiness or health check spec with the supervisor's own parser. */
function checkProbe(
  f: Flags,
  flag: string,
  spec: string,
  parse: (text: string) => unknown,
): string {
  try {
    parse(spec);
  } catch (err) {
    if (err instanceof SpecError) f.fail(`invalid ${f.origin(flag)}: ${err.message}`);
    throw err;
  }
  return spec;
}

/** A zone name, as AWS spells them (`eu-west-1a`, `use1-az1`); it becomes a gossip tag. */
const ZONE = /^[A-Za-z0-9_.:-]{1,64}$/;

function zoneFlag(f: Flags): string | null {
  const zone = f.string("zone");
  if (zone !== null && !ZONE.test(zone)) {
    f.fail(`invalid --zone ${JSON.stringify(zone)}: use 1-64 of A-Z a-z 0-9 _ . : -`);
  }
  return zone;
}

/** `--server-options backend=options…`, each validated, for backends the sidecar serves. */
function serverOptions(f: Flags, backends: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const value of f.list("server-options")) {
    let parsed;
    try {
      parsed = parseServerOptionsFlag(value);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      f.fail(`invalid --server-options ${JSON.stringify(value)}: ${err.message}`);
    }
    if (!backends.includes(parsed.backend)) {
      f.fail(
        `invalid --server-options: backend ${JSON.stringify(parsed.backend)} is not served ` +
          `(--haproxy-backend or --backends)`,
      );
    }
    if (out.has(parsed.backend)) {
      f.fail(`invalid --server-options: backend ${JSON.stringify(parsed.backend)} given twice`);
    }
    out.set(parsed.backend, parsed.words);
  }
  return out;
}

/** Builds `shoal agent`'s config. */
export function agentConfig(r: ResolvedFlags, deps: ConfigDeps): AgentConfig {
  const f = new Flags(r, "agent");
  return deepFreeze({ role: "agent", log: logConfig(f), gossip: gossipConfig(f, deps) });
}

/** Builds `shoal sidecar`'s config; `rest` is the HAProxy command after `--`. */
export function sidecarConfig(
  r: ResolvedFlags,
  rest: readonly string[],
  deps: ConfigDeps,
): SidecarConfig {
  const f = new Flags(r, "sidecar");
  const defaultBackend = checkIdent(f, "haproxy-backend", f.string("haproxy-backend") ?? "");
  const backends = [...new Set([defaultBackend, ...f.list("backends")])];
  for (const b of backends) checkIdent(f, "backends", b);
  const prefix = f.string("server-prefix") ?? "";
  if (!/^[A-Za-z0-9_.-]{1,16}$/.test(prefix)) {
    f.fail(
      `invalid ${f.origin("server-prefix")} ${
        JSON.stringify(prefix)
      }: use 1-16 of A-Z a-z 0-9 _ . -`,
    );
  }
  return deepFreeze({
    role: "sidecar",
    log: logConfig(f),
    gossip: requireEncryption(f, gossipConfig(f, deps)),
    haproxySocket: f.string("haproxy-socket") ??
      f.fail(`${f.origin("haproxy-socket")} must not be empty`),
    serverStateFile: f.string("server-state-file") || null,
    defaultBackend,
    backends,
    serverPrefix: prefix,
    solicitIntervalMs: f.number("solicit-interval")!,
    reconcileIntervalMs: f.number("reconcile-interval")!,
    orphanGraceMs: f.number("orphan-grace")!,
    drainTimeoutMs: f.number("drain-timeout")!,
    defaultWeight: f.number("weight")!,
    slowstartMs: f.number("slowstart")!,
    haproxyCommand: [...rest],
    zone: zoneFlag(f),
    serverOptions: serverOptions(f, backends),
    logHaproxy: f.bool("log-haproxy"),
  });
}

/**
 * Builds `shoal task`'s config. `rest` holds the positional arguments; `dashDash` says they came
 * after a `--`. As in the Go shoal, `--worker python3 server.py` is the command `python3 server.py`:
 * `--worker` values come first and the positional arguments follow them. A command on the command
 * line replaces one from `SHOAL_WORKER`.
 */
export function taskConfig(
  r: ResolvedFlags,
  rest: readonly string[],
  deps: ConfigDeps,
  dashDash = false,
): TaskConfig {
  const f = new Flags(r, "task");
  const gossip = requireEncryption(f, gossipConfig(f, deps));
  const joinSrv = f.string("join-srv");
  if (gossip.join.length === 0 && joinSrv === null) {
    f.fail(`missing required flag --join (or ${envName("join")}, or --join-srv)`);
  }
  const workerFlags = f.list("worker");
  if (workerFlags.length > 0 && f.fromCli("worker") && dashDash) {
    f.fail("give the worker command either after -- or with --worker, not both");
  }
  const worker = f.fromCli("worker")
    ? [...workerFlags, ...rest]
    : rest.length > 0
    ? [...rest]
    : workerFlags;
  if (worker.length === 0) f.fail("missing worker command (put it after --, or use --worker)");
  const backend = f.string("backend");
  if (backend !== null) checkIdent(f, "backend", backend);
  const health = f.string("health");
  return deepFreeze({
    role: "task",
    log: logConfig(f),
    gossip,
    joinSrv,
    listenAddr: f.endpoint("listen-addr")!,
    backend,
    weight: f.number("weight"),
    zone: zoneFlag(f),
    ready: checkProbe(f, "ready", f.string("ready") ?? "", parseReadinessSpec),
    readyTimeoutMs: f.number("ready-timeout")!,
    health: health === null ? null : checkProbe(f, "health", health, parseHealthSpec),
    healthIntervalMs: f.number("health-interval")!,
    healthRise: f.number("health-rise")!,
    healthFall: f.number("health-fall")!,
    drainTimeoutMs: f.number("drain-timeout")!,
    killTimeoutMs: f.number("kill-timeout")!,
    logWorker: f.bool("log-worker"),
    worker,
  });
}

/** Builds `shoal members`' config. */
export function membersConfig(r: ResolvedFlags): MembersConfig {
  const f = new Flags(r, "members");
  for (
    const [key, expr] of [
      ["status", f.string("status")],
      ["name", f.string("name")],
      ...f.tags("tag"),
    ] as const
  ) {
    if (expr === null) continue;
    try {
      new RegExp(expr);
    } catch { // RegExp throws only SyntaxError for a bad pattern
      f.fail(
        `invalid ${f.origin(key === "status" || key === "name" ? key : "tag")}: bad regexp ${
          JSON.stringify(expr)
        }`,
      );
    }
  }
  return deepFreeze({
    role: "members",
    rpcAddr: f.endpoint("rpc-addr")!,
    rpcAuth: f.string("rpc-auth"),
    status: f.string("status"),
    name: f.string("name"),
    tags: f.tags("tag"),
    format: (f.string("format") ?? "table") as MembersConfig["format"],
  });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !(value instanceof Map)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
