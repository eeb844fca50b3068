/**
 * The invariants of the simulated world, checked after every clock step (and, for convergence,
 * at the end). Faults make some of them unenforceable for a while: those hold only when the
 * world has been calm (no partition, loss, sidecar or HAProxy fault) for {@linkcode CALM_MS}.
 *
 * - **drain first**: when a task stopped gracefully sends SIGTERM to its worker, no running
 *   sidecar's HAProxy still routes new requests to it, and no request is still open on it.
 * - **no cut on depart**: HAProxy never shuts the sessions of a gracefully departing task before
 *   its drain timeout.
 * - **in rotation**: a task whose worker has been serving for {@linkcode ROTATION_BOUND_MS}
 *   since it became ready or since the last fault, and that is not stopping, is routed to by
 *   every sidecar that has run that long.
 * - **no drain of a live task**: when calm, no sidecar drains or disables the server of a task
 *   whose worker serves and that is not stopping.
 * - **detection bound**: no request is routed to a worker that has not been serving for longer
 *   than {@linkcode DETECTION_BOUND_MS}.
 * - **valid names**: every server named in a command that reached HAProxy is a managed name
 *   (`shoal-` + `[A-Za-z0-9._-]`, at most 64 characters) or the capability probe.
 * - **HAProxy commands work**: when calm, the sidecars log no failed HAProxy step or pass
 *   (every command got the reply meant for it).
 * - **bounded**: no process has more than {@linkcode TIMERS_MAX} timers; no HAProxy more than
 *   {@linkcode SERVERS_MAX} servers; no sidecar's registry more than {@linkcode SERVERS_MAX}
 *   claims; no member table more than {@linkcode NODES_MAX} nodes, no broadcast queue
 *   (memberlist's, serf's intents, events and queries) more than {@linkcode QUEUE_MAX} entries, no
 *   process more than {@linkcode NODES_MAX} pending acks or suspicions.
 * - **convergence** (at the end, after the faults stop): every running sidecar's HAProxy routes
 *   to exactly the serving tasks.
 *
 * @module
 */

import type { RoleProbe } from "../../../lib/roles/role_probe.ts";
import type { Load } from "./load.ts";
import type { SidecarHost, TaskHost, World } from "./world.ts";
import { BACKEND, TASK_DRAIN_TIMEOUT_MS, WORKER_PORT } from "./world.ts";

export const CALM_MS = 15_000;
export const DETECTION_BOUND_MS = 5_000;
export const TIMERS_MAX = 5_000;
/** The sidecars' solicit interval (30 s) plus a margin: a task missed by an announce is found. */
export const ROTATION_BOUND_MS = 35_000;
const ROTATION_CHECK_EVERY_MS = 100;
export const SERVERS_MAX = 64;
/**
 * Member-table bound: a world of a few sidecars and tasks restarted under new names for a few
 * minutes knows some dozens of names; a leak of dead or left members would pass this.
 */
export const NODES_MAX = 256;
/** Broadcast-queue bound, each queue: memberlist retires a broadcast after its retransmits. */
export const QUEUE_MAX = 1_024;

const HAPROXY_FAILURES = new Set(["haproxy.step.failed", "haproxy.reconcile.failed"]);
const MANAGED = /^shoal-[A-Za-z0-9._-]{1,58}$/;
const PROBE = "shoal-probe:capability";
const NAMED = /^(?:add|del|set|enable|disable|shutdown sessions) (?:server|health|agent)? ?([^ ]+)/;

/** True while `sc`'s sidecar runs and is not stopping. */
function managed(sc: SidecarHost): boolean {
  return sc.proc !== null && sc.proc.stopRequestedMs === undefined && sc.proc.clock.alive;
}

/** Collects violations; see the module documentation. */
export class Invariants {
  readonly violations: string[] = [];
  /** Last virtual time a fault started or ended. */
  lastFaultMs = 0;
  readonly #world: World;
  #load: Load | null = null;
  readonly #scanned = new Map<SidecarHost, number>();
  #rotationCheckedMs = 0;
  readonly #reported = new Set<string>();

  constructor(world: World) {
    this.#world = world;
    world.observer = {
      worker: (h, _w, what) => this.#onWorker(h, what),
      sessionsCut: (i, addr, port) => this.#onCut(i, addr, port),
      log: (proc, _level, event) => {
        if (HAPROXY_FAILURES.has(event) && this.calm()) {
          this.#violate(`HAProxy commands work: ${proc} logged ${event}`);
        }
      },
    };
  }

  /** The load whose sessions the checks look at. */
  attach(load: Load): void {
    this.#load = load;
  }

  /**
   * True when no fault is in place (partition, loss, a sidecar or HAProxy down) and none started
   * or ended in the last {@linkcode CALM_MS}.
   */
  calm(): boolean {
    const w = this.#world;
    if (w.clock.nowMs() - this.lastFaultMs < CALM_MS) return false;
    if (w.net.partitioned || w.net.lossRate > 0) return false;
    return w.sidecars.every((sc) => managed(sc) && sc.socket.up);
  }

  /** Records that a fault started or ended now. */
  fault(): void {
    this.lastFaultMs = this.#world.clock.nowMs();
  }

  /** A request went to `task`, whose worker is not serving. */
  routedToDead(task: TaskHost, sidecar: SidecarHost): void {
    const goneMs = this.#world.clock.nowMs() - task.notServingSinceMs;
    if (goneMs > DETECTION_BOUND_MS) {
      this.#violate(
        `detection bound: hap-${sidecar.index} routed a request to ${task.addr}, not serving ` +
          `for ${goneMs} ms (bound ${DETECTION_BOUND_MS} ms)`,
      );
    }
  }

  /** The per-step checks. */
  step(): void {
    for (const sc of this.#world.sidecars) {
      const received = sc.hap.received;
      for (let i = this.#scanned.get(sc) ?? 0; i < received.length; i++) {
        this.#noDrainOfLive(sc, received[i]!.line);
        const name = NAMED.exec(received[i]!.line)?.[1]?.split("/")[1];
        if (name !== undefined && name !== PROBE && !MANAGED.test(name)) {
          this.#violate(`valid names: hap-${sc.index} got ${JSON.stringify(received[i]!.line)}`);
        }
      }
      this.#scanned.set(sc, received.length);
      if (sc.hap.servers(BACKEND).length > SERVERS_MAX) {
        this.#violate(`bounded: hap-${sc.index} has more than ${SERVERS_MAX} servers`);
      }
    }
    const now = this.#world.clock.nowMs();
    if (now - this.#rotationCheckedMs >= ROTATION_CHECK_EVERY_MS && this.calm()) {
      this.#rotationCheckedMs = now;
      this.#inRotation(now);
    }
    for (const h of [...this.#world.sidecars, ...this.#world.tasks]) {
      if (h.proc && h.proc.clock.pending > TIMERS_MAX) {
        this.#violate(`bounded: ${h.name} has ${h.proc.clock.pending} timers`);
      }
      if (h.proc?.probe && h.proc.clock.alive) this.#sizes(h.name, h.proc.probe);
    }
  }

  #sizes(name: string, probe: RoleProbe): void {
    const g = probe.gossip();
    const serf = probe.serf();
    const over: string[] = [];
    if (probe.registered() > SERVERS_MAX) over.push(`${probe.registered()} registry claims`);
    if (g.nodes > NODES_MAX) over.push(`${g.nodes} members`);
    if (g.pendingAcks > NODES_MAX) over.push(`${g.pendingAcks} pending acks`);
    if (g.suspicions > NODES_MAX) over.push(`${g.suspicions} suspicions`);
    const queues = {
      memberlist: g.broadcasts,
      intents: serf.intentQueue,
      events: serf.eventQueue,
      queries: serf.queryQueue,
    };
    for (const [queue, n] of Object.entries(queues)) {
      if (n > QUEUE_MAX) over.push(`${n} queued ${queue} broadcasts`);
    }
    if (over.length > 0) {
      this.#violate(`bounded: ${name} has ${over.join(", ")}`, `bounded ${name}`);
    }
  }

  /** Convergence: every running sidecar's HAProxy routes to exactly the serving tasks. */
  converged(): string[] {
    const serving = this.#world.tasks.filter((t) =>
      t.proc && t.worker?.serving && t.proc.stopRequestedMs === undefined
    ).map((t) => `${t.addr}:${WORKER_PORT}`).sort();
    const out: string[] = [];
    for (const sc of this.#world.sidecars) {
      if (!sc.proc || !sc.socket.up) continue;
      const routed = sc.hap.servers(BACKEND).filter((s) => sc.hap.routable(s))
        .map((s) => `${s.addr}:${s.port}`).sort();
      if (routed.join() !== serving.join()) {
        out.push(`convergence: hap-${sc.index} routes [${routed}], serving [${serving}]`);
      }
    }
    return out;
  }

  #noDrainOfLive(sc: SidecarHost, line: string): void {
    const m = /^set server [^/]+\/(\S+) state (drain|maint)/.exec(line);
    if (!m || !this.calm() || !managed(sc)) return;
    // The server of the task of that name (an older task at the same address is not it).
    const t = this.#world.tasks.find((h) => `shoal-${h.name}` === m[1]);
    if (!t?.proc?.clock.alive || t.proc.stoppingMs !== undefined || !t.worker?.serving) return;
    this.#violate(`no drain of a live task: hap-${sc.index} got "${line}" while ${t.name} serves`);
  }

  #inRotation(now: number): void {
    for (const t of this.#world.tasks) {
      const readyMs = t.worker?.readyMs;
      if (!t.proc?.clock.alive || t.proc.stoppingMs !== undefined || !t.worker?.serving) continue;
      if (readyMs === undefined) continue;
      const sinceMs = now - Math.max(readyMs, this.lastFaultMs);
      if (sinceMs < ROTATION_BOUND_MS) continue;
      for (const sc of this.#world.sidecars) {
        if (!managed(sc) || now - sc.proc!.startedMs < ROTATION_BOUND_MS) continue;
        const routed = sc.hap.servers(BACKEND).some((s) =>
          s.addr === t.addr && s.port === WORKER_PORT && sc.hap.routable(s)
        );
        if (!routed) {
          this.#violate(
            `in rotation: ${t.name} serving for ${now - readyMs} ms (${sinceMs} ms since the ` +
              `last fault) but hap-${sc.index} does not route to it`,
            `rotation ${t.name} ${sc.index}`,
          );
        }
      }
    }
  }

  #onWorker(h: TaskHost, what: "sigterm" | "exited"): void {
    const graceful = h.proc?.stopRequestedMs !== undefined && h.proc.clock.alive;
    if (!graceful || !this.calm()) {
      if (what === "exited") this.#load?.workerGone(h);
      return;
    }
    if (what === "sigterm") {
      for (const sc of this.#world.sidecars) {
        if (!managed(sc)) continue;
        const s = sc.hap.servers(BACKEND).find((x) =>
          x.addr === h.addr && x.port === WORKER_PORT && sc.hap.routable(x)
        );
        if (s) {
          this.#violate(
            `drain first: ${h.name}'s worker got SIGTERM while hap-${sc.index} routes to ${s.name}`,
          );
        }
      }
      // Requests through an HAProxy whose sidecar is down are nobody's to drain.
      const open = (this.#load?.openOn(h) ?? []).filter((s) => managed(s.sidecar));
      if (open.length > 0) {
        this.#violate(
          `drain first: ${h.name}'s worker got SIGTERM with ${open.length} requests open`,
        );
      }
      return;
    }
    const cut = (this.#load?.workerGone(h) ?? []).filter((s) => managed(s.sidecar));
    if (cut.length > 0) {
      this.#violate(`drain first: ${h.name}'s worker exited with ${cut.length} requests open`);
    }
  }

  #onCut(sidecar: number, addr: string, port: number): void {
    const cut = this.#load?.cutAt(sidecar, addr, port) ?? [];
    const h = this.#world.tasks.find((t) => t.addr === addr);
    const since = h?.proc?.stopRequestedMs;
    if (!h || since === undefined || !this.calm() || !h.worker?.serving) return;
    const afterMs = this.#world.clock.nowMs() - since;
    if (cut.length > 0 && afterMs < TASK_DRAIN_TIMEOUT_MS) {
      this.#violate(
        `no cut on depart: hap-${sidecar} shut ${cut.length} sessions of ${h.name} ${afterMs} ms ` +
          `into its ${TASK_DRAIN_TIMEOUT_MS} ms drain`,
      );
    }
  }

  #violate(what: string, key = what): void {
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    this.violations.push(`${this.#world.clock.nowMs()} ${what}`);
    this.#world.trace.add(`VIOLATION ${what}`);
    this.#world.trace.frozenTail ??= this.#world.trace.tail();
  }
}
