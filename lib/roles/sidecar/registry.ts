/**
 * The sidecar's registry: which task serves on which port in which backend, built from announces,
 * departs and gossip membership, and turned into the desired servers the HAProxy reconciler applies.
 * Pure: every method takes the current time; nothing here talks to HAProxy or the network.
 *
 * Rules (issue 7): a task's address always comes from gossip, never from its payload; an announce
 * is refused unless the member is alive, the port is 1..65535 and the backend is one this sidecar
 * serves (none named, or the Go shoal's `<none_backend>`, means the default backend); a non-ready
 * announce, a depart and a graceful leave drain the server; a failure removes it at once. Servers
 * HAProxy already has when the sidecar starts are adopted and kept for a grace period, so a
 * restarted sidecar removes nothing healthy while tasks answer its solicit.
 *
 * Placement (issue 18): every server gets the id its name hashes to, so consistent hashing maps
 * a key to the same task through every sidecar's HAProxy; with a zone, tasks whose `zone` tag
 * differs are `backup` servers; per-backend server options are appended to their `add server`.
 *
 * @module
 */

import type { DesiredServer } from "../../haproxy/plan.ts";
import { serverIdFor, serverNameFor } from "../../haproxy/names.ts";
import { ANNOUNCED_WEIGHT_MIN, WEIGHT_MAX } from "../../haproxy/validate.ts";
import { isIp } from "../../net/mod.ts";
import {
  type AnnounceFields,
  type AnnounceVerdict,
  type AnnouncingMember,
  NO_BACKEND_NAMED,
  type RegistryOptions,
} from "./registry_types.ts";
import { type Claim, sameClaim } from "./_claim.ts";

export * from "./registry_types.ts";

/** Most claims kept; announces come from the network, so the registry is bounded. */
export const CLAIMS_MAX = 10_000;

/**
 * Desired HAProxy servers from task announcements.
 *
 * @example
 * ```ts
 * import { Registry } from "./registry.ts";
 * const r = new Registry({
 *   prefix: "shoal-", defaultBackend: "web", backends: ["web"], defaultWeight: 100,
 *   slowstartMs: 0, check: { interMs: 1000 }, orphanGraceMs: 30_000,
 * });
 * const v = r.announce({ name: "t1", host: "10.0.0.7", status: "alive" },
 *   { port: 8080, backend: "", state: "ready" }, 0);
 * console.assert(v.accepted && r.desired().get("web")?.[0]?.addr === "10.0.0.7");
 * ```
 */
export class Registry {
  readonly #opts: RegistryOptions;
  /** `backend/server` → claim. */
  readonly #claims = new Map<string, Claim>();

  constructor(options: RegistryOptions) {
    this.#opts = options;
  }

  /** Validates and records an announce (or a solicit answer). */
  announce(
    member: AnnouncingMember | undefined,
    req: AnnounceFields,
    nowMs: number,
  ): AnnounceVerdict {
    if (member === undefined) return refuse("the announcing node is not a known cluster member");
    if (member.status !== "alive") {
      return refuse(`member ${member.name} is ${member.status}, not alive`);
    }
    if (!isIp(member.host)) {
      return refuse(`gossip address ${JSON.stringify(member.host)} is not an IP literal`);
    }
    if (!Number.isInteger(req.port) || req.port < 1 || req.port > 65535) {
      return refuse(`port ${req.port} is outside 1-65535`);
    }
    const backend = NO_BACKEND_NAMED.has(req.backend) ? this.#opts.defaultBackend : req.backend;
    if (!this.#opts.backends.includes(backend)) {
      return refuse(
        `backend ${JSON.stringify(backend)} is not served here (allowed: ${
          this.#opts.backends.join(", ")
        })`,
      );
    }
    const weight = req.weight ?? this.#opts.defaultWeight;
    if (!Number.isInteger(weight) || weight < ANNOUNCED_WEIGHT_MIN || weight > WEIGHT_MAX) {
      return refuse(`weight ${weight} is outside ${ANNOUNCED_WEIGHT_MIN}-${WEIGHT_MAX}`);
    }
    const name = serverNameFor(member.name, { prefix: this.#opts.prefix });
    const key = `${backend}/${name}`;
    if (!this.#claims.has(key) && this.#claims.size >= CLAIMS_MAX) {
      return refuse(`registry is full (${CLAIMS_MAX} servers)`);
    }
    // A task that moves to another backend drains out of the old one.
    let changed = false;
    for (const [k, c] of this.#claims) {
      if (c.node === member.name && c.backend !== backend && c.server.state !== "drain") {
        this.#setState(k, c, "drain", nowMs);
        changed = true;
      }
    }
    const state = req.state === "ready" ? "ready" : "drain";
    const previous = this.#claims.get(key);
    const zone = this.#opts.zone ?? null;
    const options = this.#opts.serverOptions?.get(backend);
    const server: DesiredServer = {
      name,
      addr: member.host,
      port: req.port,
      weight,
      state,
      check: this.#opts.check,
      ...(this.#opts.slowstartMs > 0 ? { slowstartMs: this.#opts.slowstartMs } : {}),
      // The same id for the same task on every sidecar: consistent hashing agrees across HAProxies.
      id: serverIdFor(name),
      ...(zone !== null && member.zone !== zone ? { backup: true } : {}),
      ...(options !== undefined && options.length > 0 ? { options } : {}),
    };
    const drainSinceMs = state === "ready"
      ? undefined
      : previous?.server.state === "drain"
      ? previous.drainSinceMs
      : nowMs;
    const claim: Claim = {
      node: member.name,
      backend,
      server,
      ...(drainSinceMs === undefined ? {} : { drainSinceMs }),
    };
    changed ||= previous === undefined || !sameClaim(previous, claim);
    this.#claims.set(key, claim);
    return { accepted: true, server: name, backend, changed };
  }

  /** The task is stopping: drain its servers. Returns the `backend/server` keys being drained. */
  depart(node: string, nowMs = 0): string[] {
    const keys: string[] = [];
    for (const [k, c] of this.#claims) {
      if (c.node !== node) continue;
      this.#setState(k, c, "drain", nowMs);
      keys.push(k);
    }
    return keys;
  }

  /** Gossip says the member left gracefully: drain. Returns the keys being drained. */
  memberLeft(node: string, nowMs = 0): string[] {
    return this.depart(node, nowMs);
  }

  /** Gossip says the member failed: its servers go at once. Returns the keys removed. */
  memberFailed(node: string): string[] {
    return this.remove(node);
  }

  /**
   * Drops every claim of `node` (a failure, a reap, or a depart asking for removal at once): the
   * servers leave the desired set, so the reconciler deletes them without draining.
   */
  remove(node: string): string[] {
    const keys: string[] = [];
    for (const [k, c] of this.#claims) {
      if (c.node !== node) continue;
      this.#claims.delete(k);
      keys.push(k);
    }
    return keys;
  }

  /** The `backend/server` keys claimed by `node`. */
  keysOf(node: string): string[] {
    return [...this.#claims].filter(([, c]) => c.node === node).map(([k]) => k);
  }

  /** The node claiming `backend/server` (`""` for an adopted server), if any. */
  nodeOf(key: string): string | undefined {
    return this.#claims.get(key)?.node;
  }

  /** True while some claim is draining (someone must watch HAProxy to forget it when gone). */
  hasDraining(): boolean {
    for (const c of this.#claims.values()) if (c.server.state === "drain") return true;
    return false;
  }

  /** The earliest grace deadline of adopted, unclaimed servers; undefined when there is none. */
  nextOrphanDeadlineMs(): number | undefined {
    let next: number | undefined;
    for (const c of this.#claims.values()) {
      const d = c.orphanDeadlineMs;
      if (d !== undefined && (next === undefined || d < next)) next = d;
    }
    return next;
  }

  /** Number of claims held. */
  get size(): number {
    return this.#claims.size;
  }

  /**
   * Adopts managed servers HAProxy has that nobody claims (a restarted sidecar), keeping them as
   * they are until `nowMs + orphanGraceMs` unless a task claims them first.
   */
  adopt(backend: string, servers: readonly DesiredServer[], nowMs: number): void {
    for (const server of servers) {
      const key = `${backend}/${server.name}`;
      if (this.#claims.has(key) || this.#claims.size >= CLAIMS_MAX) continue;
      this.#claims.set(key, {
        node: "",
        backend,
        server,
        orphanDeadlineMs: nowMs + this.#opts.orphanGraceMs,
        ...(server.state === "drain" ? { drainSinceMs: nowMs } : {}),
      });
    }
  }

  /** Drops adopted servers whose grace has passed; returns their keys. */
  expireOrphans(nowMs: number): string[] {
    const gone: string[] = [];
    for (const [k, c] of this.#claims) {
      if (c.orphanDeadlineMs !== undefined && c.orphanDeadlineMs <= nowMs) {
        this.#claims.delete(k);
        gone.push(k);
      }
    }
    return gone;
  }

  /**
   * Forgets drained servers HAProxy no longer has (`present` = names it still reports). Only
   * drains that began before `observedAfterMs` are forgotten: an observation taken earlier may
   * predate the server's `add server`, and forgetting it then would delete it without a drain.
   * Returns the keys forgotten.
   */
  forgetDrained(
    backend: string,
    present: ReadonlySet<string>,
    observedAfterMs = Infinity,
  ): string[] {
    const gone: string[] = [];
    for (const [k, c] of this.#claims) {
      if (c.backend !== backend || c.server.state !== "drain" || present.has(c.server.name)) {
        continue;
      }
      if ((c.drainSinceMs ?? -Infinity) >= observedAfterMs) continue;
      this.#claims.delete(k);
      gone.push(k);
    }
    return gone;
  }

  /** True while `backend/server` is still desired (ready or draining). */
  has(key: string): boolean {
    return this.#claims.has(key);
  }

  /** Desired servers per backend, every served backend present (possibly empty). */
  desired(): Map<string, DesiredServer[]> {
    const out = new Map<string, DesiredServer[]>(this.#opts.backends.map((b) => [b, []]));
    for (const c of this.#claims.values()) out.get(c.backend)?.push(c.server);
    return out;
  }

  #setState(key: string, claim: Claim, state: "ready" | "drain", nowMs: number): void {
    if (claim.server.state === state) return;
    const { drainSinceMs: _, ...rest } = claim;
    this.#claims.set(key, {
      ...rest,
      server: { ...claim.server, state },
      ...(state === "drain" ? { drainSinceMs: nowMs } : {}),
    });
  }
}

function refuse(reason: string): AnnounceVerdict {
  return { accepted: false, reason };
}
