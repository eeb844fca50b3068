/**
 * Request load on the simulated world: requests arrive at random HAProxies, each opens a session
 * on the server HAProxy picks and holds it for a while. A request routed to a server whose
 * worker is not serving fails; sessions end early when their worker exits or HAProxy shuts them.
 *
 * @module
 */

import type { SimServer } from "../haproxy/model.ts";
import type { SidecarHost, TaskHost, World } from "./world.ts";
import { BACKEND, WORKER_PORT } from "./world.ts";

/** One request in flight. */
export interface Session {
  readonly sidecar: SidecarHost;
  readonly server: SimServer;
  readonly task: TaskHost;
  readonly openedMs: number;
}

/** Counts of what the load did. */
export interface LoadStats {
  requests: number;
  noServer: number;
  routedToDead: number;
  cut: number;
}

/** Hooks for the invariants. */
export interface LoadObserver {
  /** A request was routed to `task`, whose worker is not serving. */
  routedToDead(task: TaskHost, sidecar: SidecarHost): void;
}

/** The request generator. */
export class Load {
  readonly stats: LoadStats = { requests: 0, noServer: 0, routedToDead: 0, cut: 0 };
  readonly #world: World;
  readonly #open = new Set<Session>();
  #running = false;
  readonly #observer: LoadObserver;

  constructor(world: World, observer: LoadObserver) {
    this.#world = world;
    this.#observer = observer;
  }

  /** Starts one request every 5 to 40 virtual ms. */
  start(): void {
    this.#running = true;
    this.#next();
  }

  stop(): void {
    this.#running = false;
  }

  /** Sessions open on `task`'s worker right now. */
  openOn(task: TaskHost): Session[] {
    return [...this.#open].filter((s) => s.task === task);
  }

  /** The sessions `sidecar`'s HAProxy cut on `addr:port` (shutdown sessions, restart). */
  cutAt(sidecar: number, addr: string, port: number): Session[] {
    const cut = [...this.#open].filter((s) =>
      s.sidecar.index === sidecar && s.server.addr === addr && s.server.port === port
    );
    for (const s of cut) this.#end(s, true);
    return cut;
  }

  /** Ends every session on `task`'s worker (it exited); returns them. */
  workerGone(task: TaskHost): Session[] {
    const cut = this.openOn(task);
    for (const s of cut) this.#end(s, true);
    return cut;
  }

  #next(): void {
    const w = this.#world;
    w.clock.setTimer(5 + w.int(36), () => {
      if (!this.#running) return;
      this.#request();
      this.#next();
    });
  }

  #request(): void {
    const w = this.#world;
    const up = w.sidecars.filter((s) => s.socket.up);
    if (up.length === 0) return;
    const sidecar = up[w.int(up.length)]!;
    this.stats.requests++;
    const server = sidecar.hap.openSession(BACKEND);
    if (!server) return void this.stats.noServer++;
    const task = w.tasks.find((t) => t.addr === server.addr);
    if (!task || server.port !== WORKER_PORT || !task.worker?.serving) {
      this.stats.routedToDead++;
      sidecar.hap.closeSession(server);
      if (task) this.#observer.routedToDead(task, sidecar);
      return;
    }
    const s: Session = { sidecar, server, task, openedMs: w.clock.nowMs() };
    this.#open.add(s);
    w.clock.setTimer(20 + w.int(380), () => this.#end(s, false));
  }

  #end(s: Session, cut: boolean): void {
    if (!this.#open.delete(s)) return;
    if (cut) this.stats.cut++;
    s.sidecar.hap.closeSession(s.server);
  }
}
