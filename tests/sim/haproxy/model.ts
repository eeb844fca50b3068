/**
 * A simulated HAProxy runtime API: the rules shoal relies on, with HAProxy's exact reply texts,
 * for the deterministic simulation. Kept honest by `tests/sim/haproxy_contract.test.ts`, which
 * runs the same command scripts against real HAProxy 2.6 and 3.2.
 *
 * Modelled: dynamic servers (`add server` starts in maint; `enabled` is a zombie on 2.6 and
 * refused on 3.2), `set server ... state ready|drain|maint`, `set server ... health down`,
 * `set server ... weight`, `enable health`, `shutdown sessions server`, `del server` only from
 * maint with no sessions, `show servers state`, `show stat`, `show info`, `show version`, health
 * checks (rise/fall/inter/downinter) against a probe callback, sessions routed to UP ready
 * servers (backups only when no active server is), custom `id`s, and a restart that loses every
 * dynamic server, `slowstart` as HAProxy's stepped ramp of the effective weight (`show stat`'s
 * `weight`, and the share of new sessions), and a reload's old process lingering (`Stopping: 1`)
 * on the CLI connections opened before it. Not modelled: agent checks, `track`, keywords other
 * than the ones shoal uses.
 *
 * @module
 */

import type { Clock } from "../../../lib/clock.ts";
import type { HaproxyFlavour, SimBackendConfig, SimHaproxyOptions, SimServer } from "./types.ts";
import { HealthChecks } from "./checks.ts";
import { newServer, Reply } from "./add_server.ts";
import { show } from "./show.ts";
import { setServer } from "./set_server.ts";
import { effectiveWeight, noteUp } from "./slowstart.ts";

export type { HaproxyFlavour, SimBackendConfig, SimHaproxyOptions, SimServer } from "./types.ts";

const VERSION: Record<HaproxyFlavour, string> = { "2.6": "2.6.12-1+deb12u4", "3.2": "3.2.26-1" };
export const WEIGHT_MAX = 256;

/** The simulated process: state plus the command interpreter. */
export class SimHaproxy {
  readonly clock: Clock;
  readonly flavour: HaproxyFlavour;
  readonly version: string;
  readonly backends: ReadonlyMap<string, SimBackendConfig>;
  /** Every command line received, in order, with the virtual time (for invariants). */
  readonly received: { atMs: number; line: string; pid: number }[];
  /** Called with each server removed by `del server` (for invariants). */
  onDelete: ((s: SimServer) => void) | null = null;
  /** Called when `shutdown sessions server` or a restart cuts a server's sessions. */
  onSessionsCut: ((s: SimServer) => void) | null = null;
  pid: number;
  startMs: number;
  /**
   * True for an old process replaced by {@linkcode reload} (`Stopping: 1`): it still answers the
   * CLI connections opened before the reload, with the servers it had; `set server`, `enable
   * health` and `shutdown sessions` get "Proxy is disabled.", `add server`/`del server` still work.
   */
  stopping = false;
  /**
   * Open CLI connections of this process (kept by the admin socket); an old process lingers
   * while it has any, or sessions.
   */
  cliConns = 0;
  /** The old processes replaced by reloads that still linger. */
  #lingering: SimHaproxy[] = [];
  #servers = new Map<string, Map<string, SimServer>>();
  readonly #checks: HealthChecks;

  constructor(o: SimHaproxyOptions) {
    this.clock = o.clock;
    this.flavour = o.flavour ?? "2.6";
    this.version = VERSION[this.flavour];
    this.backends = new Map(o.backends.map((b) => [b.name, b]));
    this.pid = o.pid ?? 1000;
    this.received = o.received ?? [];
    this.startMs = o.clock.nowMs();
    this.#checks = new HealthChecks(o.clock, o.probe ?? (() => false), (s) => this.#touch(s));
    this.#reset();
  }

  /** The servers of `backend`, in order of addition. */
  servers(backend: string): SimServer[] {
    // in order of addition, as HAProxy lists them (not by id: a custom or reused id changes nothing)
    return [...(this.#servers.get(backend)?.values() ?? [])];
  }

  /** A server, if it exists. */
  server(backend: string, name: string): SimServer | undefined {
    return this.#servers.get(backend)?.get(name);
  }

  /** True when `s` would get new traffic: ready, UP, weight above 0, not a zombie. */
  routable(s: SimServer): boolean {
    return s.admin === "ready" && this.isUp(s) && s.uweight > 0 && !s.zombie;
  }

  /** Operational state: UP when not in maint and checks (if enabled) pass. */
  isUp(s: SimServer): boolean {
    if (s.admin === "maint") return false;
    return !s.checkEnabled || s.health >= s.rise;
  }

  /**
   * Opens a session on a routable server of `backend` (round robin by fewest sessions); backup
   * servers only when no active one is routable (HAProxy's default, without `allbackups`: the
   * first backup by id).
   */
  openSession(backend: string): SimServer | null {
    const now = this.clock.nowMs();
    const routable = this.servers(backend).filter((s) => this.routable(s));
    const active = routable.filter((s) => !s.backup);
    const candidates = active.length > 0 ? active : routable.slice(0, 1);
    if (candidates.length === 0) return null;
    const ramp = (x: SimServer) => effectiveWeight(x, now) / x.uweight;
    // While a server ramps up, fewest open sessions per effective weight; otherwise round robin.
    const s = candidates.some((x) => ramp(x) < 1)
      ? candidates.reduce((a, b) =>
        (b.sessions + 1) / Math.max(0.05, ramp(b)) < (a.sessions + 1) / Math.max(0.05, ramp(a))
          ? b
          : a
      )
      : candidates.reduce((a, b) => (b.totalSessions < a.totalSessions ? b : a));
    s.sessions++;
    s.totalSessions++;
    return s;
  }

  /**
   * Ends a session opened by {@linkcode openSession}, here or in a lingering old process (ignored
   * when the server is gone).
   */
  closeSession(s: SimServer): void {
    const owner = [this, ...this.#lingering].find((p) => p.server(s.backend, s.name) === s);
    if (owner && s.sessions > 0) s.sessions--;
    this.#prune();
  }

  /** A crash and restart: a new pid, every dynamic server and session gone. */
  restart(): void {
    for (const p of [this, ...this.#lingering.splice(0)]) {
      for (const b of p.#servers.values()) {
        for (const s of b.values()) if (s.sessions > 0) this.onSessionsCut?.(s);
      }
    }
    this.#checks.stopAll();
    this.pid++;
    this.startMs = this.clock.nowMs();
    this.#reset();
  }

  /**
   * A reload (master-worker, `-sf`): a new process from the configuration, so a new pid and
   * every dynamic server gone, as after {@linkcode restart}. The old process lingers while its
   * sessions or its CLI connections last: none is cut, the new process's runtime API shows none
   * of them, and the old one (returned, {@linkcode stopping}) keeps answering the connections
   * opened before the reload.
   */
  reload(): SimHaproxy {
    const old = new SimHaproxy({
      clock: this.clock,
      backends: [...this.backends.values()],
      flavour: this.flavour,
      pid: this.pid,
      received: this.received,
    });
    old.#servers = this.#servers;
    old.startMs = this.startMs;
    old.stopping = true;
    old.cliConns = this.cliConns;
    this.cliConns = 0;
    this.#lingering.push(old);
    this.#checks.stopAll();
    this.pid++;
    this.startMs = this.clock.nowMs();
    this.#reset();
    this.#prune();
    return old;
  }

  /** Forgets the old processes that have neither CLI connections nor sessions left. */
  #prune(): void {
    this.#lingering = this.#lingering.filter((p) =>
      p.cliConns > 0 ||
      [...p.#servers.values()].some((b) => [...b.values()].some((s) => s.sessions))
    );
  }

  /**
   * Runs one command line; returns the reply bodies as framed in prompt mode: one per
   * `;`-separated part on 2.6, one for the whole line on 3.2.
   */
  executeLine(line: string, severity: boolean): string[] {
    this.received.push({ atMs: this.clock.nowMs(), line, pid: this.pid });
    const parts = line.split(";").map((p) => p.trim());
    const bodies = parts.map((p) => this.#execute(p, severity));
    return this.flavour === "2.6" ? bodies : [bodies.join("\n")];
  }

  #reset(): void {
    this.#servers = new Map([...this.backends.keys()].map((b) => [b, new Map()]));
  }

  #execute(cmd: string, sev: boolean): string {
    const say = (level: "info" | "err", text: string, newline = true) =>
      `${sev ? `[${level}]: ` : ""}${text}${newline ? "\n" : ""}`;
    const w = cmd.split(/\s+/).filter((x) => x !== "");
    const head = w.slice(0, 2).join(" ");
    try {
      if (head === "add server") return this.#add(w.slice(2), say);
      if (head === "del server") return this.#del(w[2] ?? "", say);
      if (head === "set server") return this.#set(w[2] ?? "", w.slice(3));
      if (head === "enable health") return this.#enableHealth(w[2] ?? "");
      if (w[0] === "shutdown" && w[1] === "sessions" && w[2] === "server") {
        const s = this.#target(w[3] ?? "", false, true);
        if (s.sessions > 0) this.onSessionsCut?.(s);
        s.sessions = 0;
        return "";
      }
      const shown = w[0] === "show" ? show(this, w, say) : undefined;
      if (shown !== undefined) return shown;
      if (cmd === "set severity-output string" || cmd === "prompt") return "";
      return say(
        "info",
        "Unknown command, but maybe one of the following ones is a better match:",
      );
    } catch (e) {
      if (!(e instanceof Reply)) throw e;
      return say("err", e.message, e.newline || this.flavour !== "2.6");
    }
  }

  #lookup(spec: string, delLike = false): { backend: Map<string, SimServer>; name: string } {
    const slash = spec.indexOf("/");
    if (slash < 0 || slash === spec.length - 1) {
      throw new Reply("Require 'backend/server'.", !delLike);
    }
    const backend = this.#servers.get(spec.slice(0, slash));
    if (!backend) throw new Reply("No such backend.", !delLike);
    return { backend, name: spec.slice(slash + 1) };
  }

  #target(spec: string, delLike = false, changes = false): SimServer {
    const { backend, name } = this.#lookup(spec, delLike);
    const s = backend.get(name);
    if (!s) throw new Reply("No such server.", !delLike);
    if (changes && this.stopping) throw new Reply("Proxy is disabled.");
    return s;
  }

  #add(w: string[], say: (l: "info" | "err", t: string) => string): string {
    const { backend, name } = this.#lookup(w[0] ?? "", true);
    const beName = w[0]!.slice(0, w[0]!.indexOf("/"));
    if (this.backends.get(beName)?.dynamic === false) {
      throw new Reply(
        "Backend must use a dynamic load balancing to support dynamic servers.",
        false,
      );
    }
    if (backend.has(name)) {
      throw new Reply("Already exists a server with the same name in backend.");
    }
    const ids = new Map([...backend.values()].map((s) => [s.id, s.name]));
    const server = newServer(w, {
      backend: beName,
      name,
      flavour: this.flavour,
      ids,
      nowMs: this.clock.nowMs(),
    });
    backend.set(name, server);
    return say("info", "New server registered.");
  }

  #del(spec: string, say: (l: "info" | "err", t: string, nl?: boolean) => string): string {
    const s = this.#target(spec, true);
    if (s.admin !== "maint") {
      throw new Reply("Only servers in maintenance mode can be deleted.", false);
    }
    if (s.sessions > 0) {
      throw new Reply("Server still has connections attached to it, cannot remove it.", false);
    }
    this.#checks.stop(s);
    this.#servers.get(s.backend)!.delete(s.name);
    this.onDelete?.(s);
    return say("info", "Server deleted.", this.flavour !== "2.6");
  }

  #set(spec: string, w: string[]): string {
    const s = this.#target(spec, false, true);
    if (setServer(s, w, this.clock.nowMs())) this.#checks.reschedule(s, this);
    noteUp(s, this.isUp(s), this.clock.nowMs());
    return "";
  }

  #enableHealth(spec: string): string {
    const s = this.#target(spec, false, true);
    if (!s.checkConfigured) {
      throw new Reply("Health check was not configured on this server, cannot enable.");
    }
    if (!s.checkEnabled) {
      s.checkEnabled = true;
      this.#checks.start(s, this);
      noteUp(s, this.isUp(s), this.clock.nowMs());
    }
    return "";
  }

  #touch(s: SimServer): void {
    s.lastChangeMs = this.clock.nowMs();
    noteUp(s, this.isUp(s), s.lastChangeMs);
  }
}
