/**
 * The gossip half of every role: binds the transport, builds memberlist and serf on it, restores
 * the snapshot, serves the agent RPC, and tears all of it down in order. `agent`, `sidecar` and
 * `task` each start one of these from their {@linkcode GossipConfig}.
 *
 * @module
 */

import type { Prng } from "../clock.ts";
import type { GossipConfig } from "../config.ts";
import type { Transport } from "../gossip/types.ts";
import type { GossipRuntimeOptions } from "./gossip_runtime_options.ts";
import { gossipConfig } from "../gossip/config.ts";
import { createGossipNode, type GossipNode } from "../gossip/node.ts";
import { Keyring } from "../gossip/wire/keyring.ts";
import { NodeState } from "../gossip/wire/messages.ts";
import type { Logger } from "../log/logger.ts";
import { joinHostPort } from "../net/mod.ts";
import { LogTap } from "../log/tap.ts";
import {
  MEMBER_STATUS_NAMES,
  rejoinFromSnapshot,
  RpcServer,
  Serf,
  serfKeyring,
  SnapshotFile,
} from "../serf/mod.ts";
import {
  type HealthStatus,
  type MetricsServer,
  registerBuildInfo,
  registerGossipMetrics,
  registerRefusalMetrics,
  Registry,
  serveMetrics,
} from "../metrics/mod.ts";
import { VERSION } from "../version.ts";
import { errorText } from "../log/error_text.ts";

export type { GossipHost, GossipRuntimeOptions } from "./gossip_runtime_options.ts";

/** Name of the snapshot file inside `--snapshot-dir`. */
export const SNAPSHOT_FILE = "serf.snapshot";

/**
 * How long after its death a name may move to another address (memberlist's
 * `DeadNodeReclaimTime`; serf's 0 holds it until the entry is reaped, 30 s on). The real task after
 * a dead impostor of its name lives elsewhere: its alives were conflicts, out of rotation that
 * long (sim seed 86 --mistakes). Only dead entries move; a live clash is still refused.
 */
export const DEAD_NODE_RECLAIM_MS = 5_000;

/** A running gossip member. */
export class GossipRuntime {
  readonly serf: Serf;
  readonly node: GossipNode;
  readonly transport: Transport;
  readonly rpc: RpcServer | null;
  readonly snapshot: SnapshotFile | null;
  /** Prometheus metrics of this process; roles add theirs before {@linkcode serveMetrics}. */
  readonly registry: Registry = new Registry();
  #metrics: MetricsServer | null = null;
  readonly #log: Logger;
  readonly #prng: Prng;
  readonly #suspectListeners: Set<(name: string) => void>;
  #closed = false;

  private constructor(parts: {
    serf: Serf;
    node: GossipNode;
    transport: Transport;
    rpc: RpcServer | null;
    snapshot: SnapshotFile | null;
    log: Logger;
    prng: Prng;
    suspectListeners: Set<(name: string) => void>;
  }) {
    this.serf = parts.serf;
    this.node = parts.node;
    this.transport = parts.transport;
    this.rpc = parts.rpc;
    this.snapshot = parts.snapshot;
    this.#log = parts.log;
    this.#prng = parts.prng;
    this.#suspectListeners = parts.suspectListeners;
    const node = parts.node;
    registerGossipMetrics(this.registry, () => node.metrics());
    const serf = parts.serf;
    registerRefusalMetrics(this.registry, () => {
      const g = node.metrics(), c = serf.counters;
      return {
        lamport: c.lTimesRefused,
        tags: c.tagDecodeErrors,
        oversize: c.oversizeRefused,
        source_budget: g.nodesRefusedFromSource,
        version: g.versionsRefused,
        address: g.addressesRefused,
      };
    });
  }

  /**
   * True while this node is a live cluster member: started, not left, and alive in its own view.
   * The reason says why not.
   */
  memberHealth(): HealthStatus {
    if (this.#closed) return { ok: false, reason: "gossip stopped" };
    const self = this.serf.members().find((m) => m.name === this.node.localName);
    if (!self) return { ok: false, reason: "not a member yet" };
    const status = MEMBER_STATUS_NAMES[self.status] ?? String(self.status);
    return status === "alive"
      ? { ok: true, reason: "" }
      : { ok: false, reason: `member is ${status}` };
  }

  /**
   * Serves `/metrics` and `/healthz` on `addr` (nothing when null). `health` adds the role's own
   * conditions to {@linkcode memberHealth}.
   */
  serveMetrics(
    addr: { host: string; port: number } | null,
    health: () => HealthStatus = () => ({ ok: true, reason: "" }),
  ): MetricsServer | null {
    if (!addr || this.#metrics) return this.#metrics;
    this.#metrics = serveMetrics({
      addr,
      registry: this.registry,
      health: () => {
        const member = this.memberHealth();
        return member.ok ? health() : member;
      },
    });
    this.#log.info("metrics.serving", {
      addr: joinHostPort(this.#metrics.addr.host, this.#metrics.addr.port),
    });
    return this.#metrics;
  }

  /**
   * The members our memberlist suspects now. Serf reports them alive (as real serf does); a role
   * that must not wait out a suspicion (the task's rejoin) asks here.
   */
  suspected(): Set<string> {
    const names = this.node.members().filter((n) => n.state === NodeState.Suspect);
    return new Set(names.map((n) => n.name));
  }

  /** Calls `listener` each time our memberlist starts suspecting a member; returns the undo. */
  onSuspect(listener: (name: string) => void): () => void {
    this.#suspectListeners.add(listener);
    return () => this.#suspectListeners.delete(listener);
  }

  /** Binds, starts memberlist and serf, restores the snapshot and serves RPC. */
  static async start(cfg: GossipConfig, opts: GossipRuntimeOptions): Promise<GossipRuntime> {
    const { clock, prng } = opts;
    const tap = opts.logTap ?? new LogTap({ nowMs: opts.wallMs });
    const log = opts.logTap ? opts.logger : tap.wrap(opts.logger);
    const advertise = await opts.advertise(cfg);
    const transport = opts.listen(cfg.bind, log);
    const advertisePort = cfg.advertise?.port ?? transport.bindAddress.port;
    const keyring = cfg.encryptKey ? Keyring.fromBase64([cfg.encryptKey]) : undefined;
    let snapshot: SnapshotFile | null = null;
    try {
      if (cfg.snapshotDir) {
        await opts.makeDir(cfg.snapshotDir);
        snapshot = await SnapshotFile.open(`${cfg.snapshotDir}/${SNAPSHOT_FILE}`, { clock, log });
      }
      const memberlistConfig = gossipConfig(cfg.profile, {
        deadNodeReclaimTimeMs: DEAD_NODE_RECLAIM_MS,
      });
      const serf = new Serf({
        nodeName: cfg.node,
        tags: new Map([...(opts.roleTags ?? []), ...cfg.tags]),
        config: {
          reconnectTimeoutMs: cfg.reconnectTimeoutMs,
          tombstoneTimeoutMs: cfg.tombstoneTimeoutMs,
          gossipIntervalMs: memberlistConfig.gossipIntervalMs,
        },
        ...(keyring ? { keyring: serfKeyring(keyring) } : {}),
        ...(snapshot ? { snapshot } : {}),
        ...(opts.onShutdown ? { onShutdown: opts.onShutdown } : {}),
      }, { clock, prng, log });
      if (snapshot) serf.restoreClocks(snapshot.replay);
      const suspectListeners = new Set<(name: string) => void>();
      const node = createGossipNode({
        name: cfg.node,
        transport,
        advertise: { host: advertise.host, port: advertisePort },
        config: memberlistConfig,
        delegate: serf,
        events: serf,
        conflict: serf,
        ...(keyring ? { keyring } : {}),
        clock,
        prng,
        logger: log,
        resolveHost: opts.resolveHost,
        observer: (m, prev, removed) => {
          if (removed || m.state !== NodeState.Suspect || prev?.state === NodeState.Suspect) return;
          for (const listener of suspectListeners) listener(m.name);
        },
      });
      node.start();
      serf.attach(node);
      if (snapshot) {
        const snap = snapshot;
        snap.watchClock(() => serf.memberClock.time());
      }
      const rpc = cfg.rpcAddr
        ? RpcServer.listen({
          serf,
          log,
          logs: tap,
          hostname: cfg.rpcAddr.host,
          port: cfg.rpcAddr.port,
          ...(cfg.rpcAuth ? { authKey: cfg.rpcAuth } : {}),
          ...(opts.onRpcLeave ? { onLeave: opts.onRpcLeave } : {}),
        })
        : null;
      log.info("gossip.started", {
        bind: joinHostPort(transport.bindAddress.host, transport.bindAddress.port),
        advertise: joinHostPort(advertise.host, advertisePort),
        advertise_source: advertise.source,
        encrypted: keyring !== undefined,
        rpc: rpc ? `${rpc.addr.hostname}:${rpc.addr.port}` : "off",
        profile: cfg.profile,
      });
      if (keyring === undefined && cfg.insecure === true) {
        log.warn("gossip.insecure", {
          reason: "--insecure: without --encrypt, anyone who can reach the gossip port can " +
            "forge the queries that add and remove HAProxy servers",
        });
      }
      const parts = { serf, node, transport, rpc, snapshot, log, prng, suspectListeners };
      const runtime = new GossipRuntime(parts);
      const role = opts.role ?? opts.roleTags?.get("role") ?? "agent";
      registerBuildInfo(runtime.registry, { version: VERSION, deno: opts.runtimeVersion, role });
      return runtime;
    } catch (err) {
      await snapshot?.close();
      await transport.close();
      throw err;
    }
  }

  /** Rejoins the members remembered in the snapshot; resolves to the address joined, if any. */
  async rejoinFromSnapshot(): Promise<string | null> {
    if (!this.snapshot) return null;
    const joined = await rejoinFromSnapshot(this.serf, this.snapshot.replay, this.#prng);
    if (joined) this.#log.info("gossip.rejoined", { via: joined });
    return joined;
  }

  /** Joins `addrs`; resolves to how many answered (0 when none did). */
  async join(addrs: readonly string[]): Promise<number> {
    if (addrs.length === 0) return 0;
    try {
      const n = await this.serf.join(addrs);
      if (n > 0) this.#log.info("gossip.joined", { addrs: addrs.join(","), contacted: n });
      else {
        this.#log.warn("gossip.join_failed", {
          addrs: addrs.join(","),
          error: "no member answered (each target's cause is in join.failed)",
        });
      }
      return n;
    } catch (err) {
      this.#log.warn("gossip.join_failed", {
        addrs: addrs.join(","),
        error: errorText(err),
      });
      return 0;
    }
  }

  /** Leaves gracefully (peers see `left`), then closes everything. */
  async leave(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.serf.leave();
      this.#log.info("gossip.left");
    } catch (err) {
      this.#log.warn("gossip.leave_failed", {
        error: errorText(err),
      });
    }
    await this.close();
  }

  /** Closes without leaving (peers will see a failure). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#metrics?.close();
    this.serf.shutdown();
    await this.rpc?.close();
    await this.node.shutdown();
    await this.transport.close();
    await this.snapshot?.close();
  }
}
