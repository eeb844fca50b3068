/**
 * The HAProxy contract: command scripts run against real HAProxy and against the model
 * ({@linkcode SimHaproxy}), producing transcripts that must be equal. Each line is sent together
 * with a `show version` marker, so the transcript records how many prompt frames the line got
 * (2.6 answers each `;` part on its own, 3.2 answers the line once). Version-specific or
 * timing-specific text is normalised: `show servers state` and `show stat` are reduced to the
 * columns the product reads, the upstream port becomes `PORT`.
 *
 * @module
 */

import { parseServersState } from "../../../lib/haproxy/servers_state.ts";
import { parseStat } from "../../../lib/haproxy/stat.ts";

/** One step of a script. */
export type Step =
  | { readonly send: string }
  /**
   * Repeats `line` until its normalised reply contains `contains` (5 s at most); with `old`, on
   * the connection opened before the last reload.
   */
  | { readonly until: string; readonly contains: string; readonly old?: true }
  /**
   * A slowstart ramp: repeats `ramp` until the row starting `prefix` (a `show stat` row up to its
   * weight) shows a weight of at least `upTo` (8 s at most). Every weight seen on the way must be
   * one of `weights` (the whole ramp), never lower than the one before, and the row's user weight
   * `of`. It checks the ramp's values without asking that each one-second step be sampled, which
   * a loaded machine cannot promise.
   */
  | {
    readonly ramp: string;
    readonly prefix: string;
    readonly weights: readonly number[];
    readonly upTo: number;
    readonly of: number;
  }
  /** Makes the upstream's health check pass or fail. */
  | { readonly healthy: boolean }
  /** Opens one request through the frontend that the upstream holds open. */
  | { readonly hold: true }
  /** Kills HAProxy and starts it again; reconnects. */
  | { readonly restart: true }
  /**
   * Reloads HAProxy (`-sf`): the connection so far stays open (to the old process), `send`
   * goes to a new one (the new process).
   */
  | { readonly reload: true }
  /** Sends `line` on the connection opened before the last reload. */
  | { readonly sendOld: string }
  /** Lets every held request finish (and waits for them). */
  | { readonly release: true };

/** What a script runs against. */
export interface ContractTarget {
  /** Sends `line` and the marker; resolves to the line's reply frames. */
  send(line: string): Promise<string[]>;
  /** Lets `ms` of (real or virtual) time pass. */
  sleep(ms: number): Promise<void>;
  setHealthy(ok: boolean): void;
  hold(): Promise<void>;
  /** Ends the held requests. */
  release(): Promise<void>;
  restart(): Promise<void>;
  /** Reloads; keeps the current connection as the old one and opens a new one. */
  reload(): Promise<void>;
  /** Like {@linkcode send}, on the connection opened before the last reload. */
  sendOld(line: string): Promise<string[]>;
  /** The upstream's port, replaced by `PORT` in scripts and replies. */
  readonly upstreamPort: number;
}

const CHECK = "check inter 100ms rise 1 fall 2 downinter 50ms";
const STATE = "show servers state be_app";
const STAT = "show stat be_app 6 -1";
/** The reload case's server: health-checked, so it is UP when the request is held. */
const LINGER = `add server be_app/l 127.0.0.1:PORT weight 4 ${CHECK}`;

/** The scripts, by name. Backends: `be_app` and `be_zombie` (roundrobin, httpchk), `be_hash` (not
 * dynamic). */
export const CASES: Readonly<Record<string, readonly Step[]>> = {
  "lifecycle: add starts in maint; del only from maint": [
    { send: `add server be_app/a 127.0.0.1:PORT weight 5 ${CHECK}` },
    { send: STATE },
    { send: STAT },
    { send: "set server be_app/a state ready" },
    { send: "del server be_app/a" },
    { send: "set server be_app/a state drain" },
    { send: STATE },
    { send: "del server be_app/a" },
    { send: "set server be_app/a weight 7" },
    { send: "set server be_app/a state maint" },
    { send: STATE },
    { send: "del server be_app/a" },
    { send: "del server be_app/a" },
    { send: STATE },
  ],
  "ids and backups: custom, taken, invalid; listed in order of addition": [
    { send: `add server be_app/i1 127.0.0.1:PORT id 700 weight 3 ${CHECK}` },
    { send: "add server be_app/i2 127.0.0.1:PORT id 700" },
    { send: "add server be_app/i3 127.0.0.1:PORT id 0" },
    { send: "add server be_app/i4 127.0.0.1:PORT id x" },
    { send: `add server be_app/b1 127.0.0.1:PORT backup ${CHECK}` },
    { send: STATE },
    { send: "del server be_app/b1" },
    { send: "del server be_app/i1" },
    { send: STATE },
  ],
  "errors: exact texts": [
    { send: "add server be_app/e 127.0.0.1:1 weight 0" },
    { send: "add server be_app/e 127.0.0.1:1" },
    { send: "add server be_nope/e 127.0.0.1:1" },
    { send: "add server be_hash/e 127.0.0.1:1" },
    { send: "add server be_app/f 127.0.0.1:1 weight 300" },
    // On 2.6 `enabled` makes a zombie that leaves its backend unroutable: keep it elsewhere.
    { send: "add server be_zombie/z 127.0.0.1:1 enabled" },
    { send: "set server be_app/e state bogus" },
    { send: "set server be_app/e weight 300" },
    { send: "set server be_app/x state ready; set server be_app/x health down" },
    { send: "set server be_nope/x state ready" },
    { send: "enable health be_app/e" },
    { send: "show servers state be_nope" },
    { send: "show stat be_nope 6 -1" },
    { send: "del server be_app" },
    { send: "del server be_nope/e" },
    { send: "bogus command" },
    { send: "set server be_app/e state maint; del server be_app/e" },
    { send: "show servers state be_zombie" },
    { send: "set server be_zombie/z state maint" },
    { send: "del server be_zombie/z" },
  ],
  "health: start DOWN, UP after rise, DOWN after fall": [
    { send: `add server be_app/h 127.0.0.1:PORT ${CHECK}` },
    { send: "enable health be_app/h" },
    { send: STATE },
    { send: "set server be_app/h state ready; set server be_app/h health down" },
    { until: STAT, contains: "be_app,h,server,UP," },
    { send: STATE },
    { healthy: false },
    { until: STAT, contains: "be_app,h,server,DOWN," },
    { send: STATE },
    { healthy: true },
    { until: STAT, contains: "be_app,h,server,UP," },
  ],
  "sessions: del refused while a session is attached": [
    { hold: true },
    { until: STAT, contains: "be_app,h,server,UP,1," },
    { send: "set server be_app/h state drain" },
    { send: "set server be_app/h state maint" },
    { send: "del server be_app/h" },
    { send: "shutdown sessions server be_app/h" },
    { until: STAT, contains: "be_app,h,server,MAINT,0," },
    { send: "del server be_app/h" },
    { send: STATE },
  ],
  "restart: dynamic servers are lost": [
    { send: "add server be_app/r 127.0.0.1:1" },
    { send: "set server be_app/r state ready" },
    { send: STATE },
    { restart: true },
    { send: STATE },
    { send: "add server be_app/r 127.0.0.1:1" },
    { send: STATE },
  ],
  // weight 100, slowstart 3 s: 7, 38 after 1 s, 69 after 2 s, 100 after 3 s (both versions);
  // leaving maintenance starts the ramp again, drain and back does not.
  "slowstart: the effective weight ramps in steps after the server comes UP": [
    { send: "del server be_app/r" },
    { send: `add server be_app/s 127.0.0.1:PORT weight 100 slowstart 3s ${CHECK}` },
    { send: STAT },
    { send: "enable health be_app/s" },
    { send: "set server be_app/s state ready" },
    { ramp: STAT, prefix: "be_app,s,server,UP,0,", weights: [7, 38, 69, 100], upTo: 100, of: 100 },
    { send: "set server be_app/s state drain" },
    { send: "set server be_app/s state ready" },
    { send: STAT },
    { send: "set server be_app/s weight 50" },
    { send: "set server be_app/s state maint" },
    { send: STAT },
    { send: "set server be_app/s state ready" },
    { ramp: STAT, prefix: "be_app,s,server,UP,0,", weights: [4, 19, 35, 50], upTo: 19, of: 50 },
    { send: "set server be_app/s state maint" },
    { send: "del server be_app/s" },
  ],
  "reload: the old process lingers on its connection and session; the new one has no servers": [
    { send: LINGER },
    { send: "enable health be_app/l" },
    { send: "set server be_app/l state ready" },
    { until: STAT, contains: "be_app,l,server,UP,0," },
    { hold: true },
    { until: STAT, contains: "be_app,l,server,UP,1," },
    { reload: true },
    { send: "show info" },
    { send: STATE },
    { send: STAT },
    { sendOld: "show info" },
    { sendOld: STATE },
    { sendOld: STAT },
    { sendOld: "set server be_app/l state drain" },
    { sendOld: "set server be_app/l weight 3" },
    { sendOld: "set server be_app/zz state maint" },
    { sendOld: "set server be_nope/l state maint" },
    { sendOld: "enable health be_app/l" },
    { sendOld: "shutdown sessions server be_app/l" },
    { sendOld: "del server be_app/l" },
    { sendOld: "add server be_app/o 127.0.0.1:1" },
    { sendOld: "del server be_app/o" },
    { release: true },
    { until: STAT, contains: "be_app,l,server,UP,0,", old: true },
    { send: STATE },
  ],
};

/** Follows a slowstart ramp (see {@linkcode Step}); "ok", or what was wrong with it. */
async function ramp(
  target: ContractTarget,
  step: Extract<Step, { ramp: string }>,
  line: (l: string) => string,
): Promise<string> {
  const port = String(target.upstreamPort);
  const seen: number[] = [];
  for (let waited = 0; waited <= 8000; waited += 20) {
    const reply = normalise(step.ramp, await target.send(line(step.ramp)), port);
    const at = reply.indexOf(step.prefix);
    if (at >= 0) {
      const [weight, of] = reply.slice(at + step.prefix.length).split(/[,"\s]/);
      const w = Number(weight);
      if (Number(of) !== step.of) return `user weight ${of}, not ${step.of}`;
      if (!step.weights.includes(w)) return `weight ${w} is not a step of [${step.weights}]`;
      if (w < (seen.at(-1) ?? 0)) return `weight ${w} after ${seen.at(-1)}`;
      if (seen.at(-1) !== w) seen.push(w);
      if (w >= step.upTo) return "ok";
    }
    await target.sleep(20);
  }
  return `never reached ${step.upTo}: saw [${seen}]`;
}

/** Runs one script; returns its transcript (one entry per recorded reply). */
export async function runScript(target: ContractTarget, steps: readonly Step[]): Promise<string[]> {
  const out: string[] = [];
  const port = String(target.upstreamPort);
  const line = (l: string) => l.replaceAll("PORT", port);
  for (const step of steps) {
    if ("send" in step) {
      out.push(`${step.send} => ${normalise(step.send, await target.send(line(step.send)), port)}`);
    } else if ("until" in step) {
      let last = "";
      for (let waited = 0; waited <= 5000; waited += 20) {
        const send = step.old ? target.sendOld : target.send;
        last = normalise(step.until, await send(line(step.until)), port);
        if (last.includes(step.contains)) break;
        await target.sleep(20);
      }
      out.push(`${step.old ? "(old) " : ""}${step.until} (until ${step.contains}) => ${last}`);
    } else if ("ramp" in step) {
      out.push(`${step.ramp} (ramp ${step.prefix}) => ${await ramp(target, step, line)}`);
    } else if ("healthy" in step) {
      target.setHealthy(step.healthy);
    } else if ("hold" in step) {
      await target.hold();
    } else if ("release" in step) {
      await target.release();
    } else if ("sendOld" in step) {
      const frames = await target.sendOld(line(step.sendOld));
      out.push(`(old) ${step.sendOld} => ${normalise(step.sendOld, frames, port)}`);
    } else if ("reload" in step) {
      await target.reload();
      out.push("(reloaded)");
    } else {
      await target.restart();
      out.push("(restarted)");
    }
  }
  return out;
}

/** The comparable form of the frames a line got. */
export function normalise(line: string, frames: readonly string[], port: string): string {
  const framing = `[${frames.length} frame${frames.length === 1 ? "" : "s"}]`;
  const body = frames.join("<frame>");
  if (line.startsWith("show servers state") && body.startsWith("1\n")) {
    const rows = parseServersState(body).map((r) =>
      [r.backend, r.serverId, r.name, r.addr, r.port, `op=${r.opState}`, `admin=${r.adminState}`]
        .concat([`w=${r.uweight}/${r.iweight}`, `chk=${r.checkState & ~1}`]).join(" ")
    );
    return `${framing} ${JSON.stringify(rows)}`.replaceAll(port, "PORT");
  }
  if (line.startsWith("show stat") && body.startsWith("# ")) {
    // A BACKEND line's scur lags its servers' by a moment on 2.6: servers' only.
    const rows = parseStat(body).map((r) =>
      [r.proxy, r.service, r.kind, r.status, r.kind === "server" ? r.scur : "-"]
        .concat([r.fields.get("weight") ?? "", r.fields.get("uweight") ?? ""]).join(",")
    );
    return `${framing} ${JSON.stringify(rows)}`;
  }
  if (line === "show info" && body.startsWith("Name: ")) {
    // pid, uptime, counters differ: whether the process is stopping is what the product reads
    const stopping = body.split("\n").filter((l) => l.startsWith("Stopping:"));
    return `${framing} ${JSON.stringify(stopping)}`;
  }
  // The list of suggestions after an unknown command differs between versions.
  const text = body.startsWith("[info]: Unknown command") ? "[info]: Unknown command ..." : body;
  return `${framing} ${JSON.stringify(text)}`.replaceAll(port, "PORT");
}
