/**
 * The task's hold on the cluster (issue 12): the rejoin loop (while no sidecar, or no peer at
 * all, is alive and unsuspected; at once when a sidecar refuses us as unknown, failed or left) and
 * the registration the task's `/healthz` and `shoal_task_registered` report. The runner feeds in
 * member events, our memberlist's suspicions and announce answers.
 *
 * @module
 */

import type { Clock, Prng } from "../../clock.ts";
import type { Logger } from "../../log/logger.ts";
import type { HealthStatus } from "../../metrics/mod.ts";
import { joinHostPort } from "../../net/mod.ts";
import { type Member, MemberStatus, type SerfEvent } from "../../serf/mod.ts";
import { Rejoiner } from "../rejoin.ts";
import { Registration } from "./registration.ts";

/** The refusal of a sidecar that does not know us (the registry's wording). */
export const UNKNOWN_MEMBER_REASON = "not a known cluster member";
/**
 * The refusal of a sidecar that holds us failed, left or in no state (the registry's wording:
 * `member <name> is <status>, not alive`): a false accusation we have not heard of.
 */
export const NOT_ALIVE_REASON = /^member .+ is (failed|left|none), not alive$/;

/**
 * True when a sidecar refused an announce because it does not hold us alive: it does not know
 * us, or it holds us failed or left (a partition we did not notice). Serf would only reconnect
 * to us after its reconnect interval (30 s); a join's push/pull shows us its view, we refute it
 * (a higher incarnation), and the next announce is accepted.
 *
 * @example
 * ```ts
 * import { holdsUsNotAlive } from "./membership.ts";
 * console.assert(holdsUsNotAlive("member t1 is failed, not alive"));
 * console.assert(!holdsUsNotAlive("port 0 is outside 1-65535"));
 * ```
 */
export function holdsUsNotAlive(reason: string): boolean {
  return reason.includes(UNKNOWN_MEMBER_REASON) || NOT_ALIVE_REASON.test(reason);
}

/**
 * Why a task must rejoin now, or null: it has no alive sidecar (one was replaced, or it never
 * found one), or no alive peer at all. A member our memberlist `suspected` is not alive here,
 * though serf reports it alive (as real serf does): a dead sidecar stays suspect for up to the
 * suspicion timeout (~24 s), longer than the new sidecars' orphan grace, so waiting for it to be
 * declared failed would let them remove our server.
 */
export function rejoinReason(
  members: readonly Member[],
  localName: string,
  suspected: ReadonlySet<string>,
): string | null {
  const alive = members.filter((m) =>
    m.status === MemberStatus.Alive && m.name !== localName && !suspected.has(m.name)
  );
  if (alive.length === 0) return "no alive peer";
  if (!alive.some(isSidecar)) return "no alive sidecar";
  return null;
}

/** True for members with `role=sidecar`. */
export function isSidecar(m: Member): boolean {
  return m.tags.get("role") === "sidecar";
}

/** What {@linkcode TaskMembership} works with. */
export interface TaskMembershipOptions {
  readonly members: () => Member[];
  /** The members our memberlist currently suspects (serf reports them alive). */
  readonly suspected: () => ReadonlySet<string>;
  readonly localName: string;
  /** Join targets for this attempt (static `--join` plus `--join-srv`, resolved again). */
  joinTargets(): Promise<string[]>;
  join(addrs: readonly string[]): Promise<number>;
  readonly clock: Clock;
  readonly prng: Prng;
  readonly log: Logger;
  /** The number of sidecars that accepted the current announce changed. */
  readonly onRegistered?: ((sidecars: number) => void) | undefined;
}

/** See the module documentation. */
export class TaskMembership {
  readonly #o: TaskMembershipOptions;
  readonly #rejoiner: Rejoiner;
  readonly #registration = new Registration();

  constructor(options: TaskMembershipOptions) {
    this.#o = options;
    this.#rejoiner = new Rejoiner({
      needed: () => rejoinReason(options.members(), options.localName, options.suspected()),
      targets: () => options.joinTargets(),
      join: (addrs) => options.join(addrs),
      clock: options.clock,
      prng: options.prng,
      log: options.log,
      event: "task.rejoin",
    });
  }

  /** Joined once: from now on, losing every sidecar (or every peer) means joining again. */
  startRejoining(): void {
    this.#rejoiner.start();
  }

  stop(): void {
    this.#rejoiner.stop();
  }

  /** `/healthz`'s view: see `registration.ts`. */
  health(): HealthStatus {
    return this.#registration.health(this.#o.clock.nowMs());
  }

  /** A new state is being announced. */
  announcing(): void {
    this.#registered(() => this.#registration.reset());
  }

  accepted(sidecar: string): void {
    this.#registered(() => this.#registration.accepted(sidecar));
  }

  /** A sidecar that does not hold us alive cannot register us: join it directly, at once. */
  refused(sidecar: string, reason: string): void {
    this.#registered(() => this.#registration.refused(sidecar));
    if (!holdsUsNotAlive(reason)) return;
    const m = this.#o.members().find((x) => x.name === sidecar);
    if (m === undefined) return;
    this.#rejoiner.poke([joinHostPort(m.host, m.port)]);
  }

  /** A serf event: member changes update the registration and may start a rejoin. */
  onEvent(e: SerfEvent): void {
    if (e.type === "query" || e.type === "user") return;
    const alive = this.#o.members().filter((m) => m.status === MemberStatus.Alive && isSidecar(m))
      .map((m) => m.name);
    this.#registered(() => this.#registration.sidecarsAlive(alive, this.#o.clock.nowMs()));
    if (e.type === "member-leave" || e.type === "member-failed") this.#rejoiner.poke();
  }

  /** Our memberlist started suspecting `name`: it may have been our last alive sidecar. */
  onSuspect(_name: string): void {
    this.#rejoiner.poke();
  }

  #registered(change: () => void): void {
    const before = this.#registration.count;
    change();
    if (this.#registration.count !== before) this.#o.onRegistered?.(this.#registration.count);
  }
}
