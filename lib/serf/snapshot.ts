/**
 * serf's snapshot file format (wire spec §8), sans-IO: {@linkcode replaySnapshot} reads a file's
 * text into the remembered members and clocks; {@linkcode SnapshotRecorder} turns serf's changes
 * into lines to append and produces the compacted file. The file I/O lives in `snapshot_file.ts`.
 *
 * @example
 * ```ts
 * import { replaySnapshot } from "./snapshot.ts";
 * const r = replaySnapshot("alive: b 127.0.0.1:7947\nclock: 3\nevent-clock: 9\n");
 * console.assert(r.alive.get("b") === "127.0.0.1:7947" && r.lastClock === 3);
 * ```
 *
 * @module
 */

import { joinHostPort } from "./addr.ts";
import { LTIME_CEILING } from "./lamport.ts";
import type { MemberEvent } from "./members.ts";
import type { SnapshotSink } from "./serf.ts";

/** What a snapshot file remembers. */
export interface SnapshotReplay {
  /** Member name to `host:port` of every member alive at the end of the file. */
  readonly alive: Map<string, string>;
  /** Last member clock written. */
  readonly lastClock: number;
  /** Last user event time. */
  readonly lastEventClock: number;
  /** Last query time. */
  readonly lastQueryClock: number;
  /** The file ends in a graceful leave (after which it was cleared, unless rejoining). */
  readonly left: boolean;
  /** Lines that were not understood (logged by the shell, otherwise ignored as serf does). */
  readonly badLines: number;
}

function clockValue(s: string): number | null {
  if (!/^\d{1,16}$/.test(s)) return null;
  const v = Number(s);
  // Above the ceiling is a poisoned clock (written by an older shoal that witnessed a forged
  // time): refused like any bad line, so the node starts and never writes it back.
  return Number.isSafeInteger(v) && v <= LTIME_CEILING ? v : null;
}

/** Replays a snapshot; `rejoinAfterLeave` keeps the state of a file that contains `leave`. */
export function replaySnapshot(text: string, rejoinAfterLeave = false): SnapshotReplay {
  const alive = new Map<string, string>();
  let lastClock = 0, lastEventClock = 0, lastQueryClock = 0, left = false, badLines = 0;
  const lines = text.split("\n");
  // Every line is written with its newline: text after the last one was cut off mid-write (a
  // crash), and a cut `alive:` line would name a wrong port.
  if (lines.pop() !== "") badLines++;
  for (const line of lines) {
    if (line === "" || line.startsWith("#") || line.startsWith("coordinate: ")) continue;
    if (line.startsWith("alive: ")) {
      const info = line.slice(7);
      const at = info.lastIndexOf(" ");
      if (at <= 0) badLines++;
      else alive.set(info.slice(0, at), info.slice(at + 1));
    } else if (line.startsWith("not-alive: ")) alive.delete(line.slice(11));
    else if (line === "leave") {
      left = true;
      if (!rejoinAfterLeave) {
        alive.clear();
        lastClock = lastEventClock = lastQueryClock = 0;
      }
    } else {
      const m = /^(clock|event-clock|query-clock): (.*)$/.exec(line);
      const v = m ? clockValue(m[2]!) : null;
      if (m === null || v === null) badLines++;
      else if (m[1] === "clock") lastClock = v;
      else if (m[1] === "event-clock") lastEventClock = v;
      else lastQueryClock = v;
    }
  }
  return { alive, lastClock, lastEventClock, lastQueryClock, left, badLines };
}

/** The minimum size before compaction is considered (serf: 128 KiB). */
export const SNAPSHOT_COMPACT_MIN_BYTES = 128 * 1024;
/** Bytes per alive member assumed when sizing the compaction threshold. */
const SNAPSHOT_BYTES_PER_NODE = 128;

/**
 * Turns serf changes into snapshot lines through `append`, and tracks the state a compacted
 * file needs. Implements serf's {@linkcode SnapshotSink}.
 */
export class SnapshotRecorder implements SnapshotSink {
  readonly #append: (text: string) => void;
  /** Alive members: name to `host:port`. */
  readonly alive = new Map<string, string>();
  /** Last member clock written. */
  lastClock = 0;
  /** Last user event time written. */
  lastEventClock = 0;
  /** Last query time written. */
  lastQueryClock = 0;

  /** Appends lines through `append`, continuing from a replay. */
  constructor(append: (text: string) => void, from?: SnapshotReplay) {
    this.#append = append;
    if (from) {
      for (const [n, a] of from.alive) this.alive.set(n, a);
      this.lastClock = from.lastClock;
      this.lastEventClock = from.lastEventClock;
      this.lastQueryClock = from.lastQueryClock;
    }
  }

  /** `alive:` for joins, `not-alive:` for leaves and failures. */
  memberEvent(e: MemberEvent): void {
    for (const m of e.members) {
      if (e.type === "member-join") {
        const addr = joinHostPort(m.host, m.port);
        this.alive.set(m.name, addr);
        this.#append(`alive: ${m.name} ${addr}\n`);
      } else if (e.type === "member-leave" || e.type === "member-failed") {
        this.alive.delete(m.name);
        this.#append(`not-alive: ${m.name}\n`);
      }
    }
  }
  /** `event-clock:` when newer. */
  userEventClock(lTime: number): void {
    if (lTime <= this.lastEventClock) return;
    this.lastEventClock = lTime;
    this.#append(`event-clock: ${lTime}\n`);
  }
  /** `query-clock:` when newer. */
  queryClock(lTime: number): void {
    if (lTime <= this.lastQueryClock) return;
    this.lastQueryClock = lTime;
    this.#append(`query-clock: ${lTime}\n`);
  }
  /** The member clock is `current`: written when `current - 1` is beyond the last written. */
  memberClock(current: number): void {
    const last = current - 1;
    if (last <= this.lastClock) return;
    this.lastClock = last;
    this.#append(`clock: ${last}\n`);
  }
  /** The `leave` line. */
  leave(): void {
    this.#append("leave\n");
  }

  /** True when a file of `sizeBytes` should be compacted. */
  needsCompaction(sizeBytes: number): boolean {
    const threshold = Math.max(
      SNAPSHOT_COMPACT_MIN_BYTES,
      2 * SNAPSHOT_BYTES_PER_NODE * this.alive.size,
    );
    return sizeBytes > threshold;
  }

  /** The content of a compacted file: the alive set and the three clocks. */
  compacted(): string {
    let out = "";
    for (const [n, a] of this.alive) out += `alive: ${n} ${a}\n`;
    out += `clock: ${this.lastClock}\nevent-clock: ${this.lastEventClock}\n`;
    return out + `query-clock: ${this.lastQueryClock}\n`;
  }
}

/** The clocks and minimum times a restored serf starts from (§8 "Replay on start"). */
export function restoreClocks(
  serf: {
    memberClock: { witness(v: number): void };
    eventClock: { witness(v: number): void };
    queryClock: { witness(v: number): void };
    eventRing: { minTime: number };
    queryRing: { minTime: number };
  },
  r: SnapshotReplay,
): void {
  serf.memberClock.witness(r.lastClock);
  serf.eventClock.witness(r.lastEventClock);
  serf.queryClock.witness(r.lastQueryClock);
  serf.eventRing.minTime = r.lastEventClock + 1;
  serf.queryRing.minTime = r.lastQueryClock + 1;
}

/** `name/host:port` join addresses of remembered members other than `self`, shuffled. */
export function rejoinAddresses(r: SnapshotReplay, self: string, prng: () => number): string[] {
  const out = [...r.alive].filter(([n]) => n !== self).map(([n, a]) => `${n}/${a}`);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(prng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
