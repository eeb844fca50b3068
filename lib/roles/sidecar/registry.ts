/**
 * The sidecar's registry: which task serves on which port in which backend, built from announces,
 * departs and gossip membership, and turned into the desired servers the HAProxy reconciler applies.
 * Pure: every method takes the current time; nothing here talks to HAProxy or the network.
 *
 * Rules (issue 7): a task's address always comes from gossip, never from its payload; an announce
 * is refused unless the member is alive, the port is 1..65535 and the backend is one this sidecar
 * serves; a non-ready announce, a depart and a graceful leave drain the server; a failure removes it
 * at once. Servers HAProxy already has when the sidecar starts are adopted and kept for a grace
 * period, so a restarted sidecar removes nothing healthy while tasks answer its solicit.
 *
 * @module
 */

import type { CheckOptions } from "../../haproxy/commands.ts";
import type { DesiredServer } from "../../haproxy/plan.ts";
import { serverNameFor } from "../../haproxy/names.ts";

/** Settings of a {@linkcode Registry}. */
export interface RegistryOptions {
  readonly prefix: string;
  readonly defaultBackend: string;
  readonly backends: readonly string[];
  readonly defaultWeight: number;
  readonly slowstartMs: number;
  readonly check: CheckOptions;
  /** How long adopted servers nobody claims are kept. */
  readonly orphanGraceMs: number;
}

/** The gossip view of the node that sent an announce. */
export interface AnnouncingMember {
  readonly name: string;
  /** Gossip address (IP literal): where HAProxy will connect. */
  readonly host: string;
  readonly status: "alive" | "leaving" | "left" | "failed" | "none";
}

/** The fields of an `AnnounceRequest` the registry uses. */
export interface AnnounceFields {
  readonly port: number;
  readonly backend: string;
  readonly state: string;
  readonly weight?: number | undefined;
}

/** The registry's answer to an announce. */
export type AnnounceVerdict =
  | { readonly accepted: true; readonly server: string; readonly backend: string }
  | { readonly accepted: false; readonly reason: string };

interface Claim {
  readonly node: string;
  readonly backend: string;
  readonly server: DesiredServer;
  /** Set for adopted servers nobody has claimed yet: when they are dropped. */
  readonly orphanDeadlineMs?: number;
}

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
    _nowMs: number,
  ): AnnounceVerdict {
    if (member === undefined) return refuse("the announcing node is not a known cluster member");
    if (member.status !== "alive") {
      return refuse(`member ${member.name} is ${member.status}, not alive`);
    }
    if (!Number.isInteger(req.port) || req.port < 1 || req.port > 65535) {
      return refuse(`port ${req.port} is outside 1-65535`);
    }
    const backend = req.backend === "" ? this.#opts.defaultBackend : req.backend;
    if (!this.#opts.backends.includes(backend)) {
      return refuse(
        `backend ${JSON.stringify(backend)} is not served here (allowed: ${
          this.#opts.backends.join(", ")
        })`,
      );
    }
    const weight = req.weight ?? this.#opts.defaultWeight;
    if (!Number.isInteger(weight) || weight < 1 || weight > 256) {
      return refuse(`weight ${weight} is outside 1-256`);
    }
    const name = serverNameFor(member.name, { prefix: this.#opts.prefix });
    const key = `${backend}/${name}`;
    if (!this.#claims.has(key) && this.#claims.size >= CLAIMS_MAX) {
      return refuse(`registry is full (${CLAIMS_MAX} servers)`);
    }
    // A task that moves to another backend drains out of the old one.
    for (const [k, c] of this.#claims) {
      if (c.node === member.name && c.backend !== backend) this.#setState(k, c, "drain");
    }
    const server: DesiredServer = {
      name,
      addr: member.host,
      port: req.port,
      weight,
      state: req.state === "ready" ? "ready" : "drain",
      check: this.#opts.check,
      ...(this.#opts.slowstartMs > 0 ? { slowstartMs: this.#opts.slowstartMs } : {}),
    };
    this.#claims.set(key, { node: member.name, backend, server });
    return { accepted: true, server: name, backend };
  }

  /** The task is stopping: drain its servers. Returns the `backend/server` keys being drained. */
  depart(node: string): string[] {
    const keys: string[] = [];
    for (const [k, c] of this.#claims) {
      if (c.node !== node) continue;
      this.#setState(k, c, "drain");
      keys.push(k);
    }
    return keys;
  }

  /** Gossip says the member left gracefully: drain. */
  memberLeft(node: string): void {
    this.depart(node);
  }

  /** Gossip says the member failed: its servers go at once. */
  memberFailed(node: string): void {
    for (const [k, c] of this.#claims) if (c.node === node) this.#claims.delete(k);
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

  /** Forgets drained servers HAProxy no longer has (`present` = names it still reports). */
  forgetDrained(backend: string, present: ReadonlySet<string>): void {
    for (const [k, c] of this.#claims) {
      if (c.backend === backend && c.server.state === "drain" && !present.has(c.server.name)) {
        this.#claims.delete(k);
      }
    }
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

  #setState(key: string, claim: Claim, state: "ready" | "drain"): void {
    if (claim.server.state === state) return;
    this.#claims.set(key, { ...claim, server: { ...claim.server, state } });
  }
}

function refuse(reason: string): AnnounceVerdict {
  return { accepted: false, reason };
}
