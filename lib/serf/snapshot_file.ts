/**
 * The snapshot file shell: reads and replays `PATH` at start, appends the recorder's lines with
 * buffered writes flushed every 500 ms, fsyncs on leave and close, and compacts through
 * `PATH.compact` (wire spec §8). The only file in `lib/serf` that touches the file system.
 *
 * @example
 * ```ts ignore
 * import { SnapshotFile } from "./snapshot_file.ts";
 * import { systemClock } from "../clock.ts";
 * import { nullLogger } from "../log/logger.ts";
 * const snap = await SnapshotFile.open("/var/lib/shoal/serf.snapshot", { clock: systemClock, log: nullLogger });
 * // new Serf({ nodeName, snapshot: snap }, deps); snap.watchClock(() => serf.memberClock.time());
 * await snap.close();
 * ```
 *
 * @module
 */

import type { Clock, Prng, TimerId } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { MemberEvent } from "./members.ts";
import type { SnapshotSink } from "./serf.ts";
import {
  rejoinAddresses,
  replaySnapshot,
  SnapshotRecorder,
  type SnapshotReplay,
} from "./snapshot.ts";
import { SnapshotError } from "./errors.ts";

/** Options of {@linkcode SnapshotFile.open}. */
export interface SnapshotFileOptions {
  /** Flush timer clock. */
  readonly clock: Clock;
  /** Where write errors are logged. */
  readonly log: Logger;
  /** @default 500 */
  readonly flushIntervalMs?: number;
  /** Keep members and clocks of a file that ends in `leave`. @default false */
  readonly rejoinAfterLeave?: boolean;
}

/** An open snapshot file; pass it as `SerfOptions.snapshot`. */
export class SnapshotFile implements SnapshotSink {
  /** The file. */
  readonly path: string;
  /** What the file held when opened. */
  readonly replay: SnapshotReplay;
  readonly #recorder: SnapshotRecorder;
  readonly #opts: SnapshotFileOptions;
  #file: Deno.FsFile;
  #pending = "";
  #sizeBytes: number;
  #timer: TimerId | null = null;
  #chain: Promise<void> = Promise.resolve();
  #clockSource: (() => number) | null = null;
  #closed = false;

  private constructor(path: string, file: Deno.FsFile, text: string, opts: SnapshotFileOptions) {
    this.path = path;
    this.#file = file;
    this.#opts = opts;
    this.#sizeBytes = new TextEncoder().encode(text).length;
    this.replay = replaySnapshot(text, opts.rejoinAfterLeave ?? false);
    this.#recorder = new SnapshotRecorder((t) => (this.#pending += t), this.replay);
    this.#schedule();
  }

  /** Opens (creating if needed) and replays the snapshot at `path`. */
  static async open(path: string, opts: SnapshotFileOptions): Promise<SnapshotFile> {
    let text = "";
    try {
      text = await Deno.readTextFile(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) {
        throw new SnapshotError(`Cannot read snapshot "${path}"`, { cause: e });
      }
    }
    const file = await Deno.open(path, { create: true, append: true });
    const snap = new SnapshotFile(path, file, text, opts);
    if (snap.replay.badLines > 0) {
      opts.log.warn("serf.snapshot.bad_lines", { path, count: snap.replay.badLines });
    }
    return snap;
  }

  /** Samples the member clock at every flush (serf writes `clock:` lines this way). */
  watchClock(source: () => number): void {
    this.#clockSource = source;
  }

  /** Records a member event. */
  memberEvent(e: MemberEvent): void {
    this.#recorder.memberEvent(e);
    if (this.#clockSource) this.#recorder.memberClock(this.#clockSource());
  }
  /** Records a user event time. */
  userEventClock(lTime: number): void {
    this.#recorder.userEventClock(lTime);
  }
  /** Records a query time. */
  queryClock(lTime: number): void {
    this.#recorder.queryClock(lTime);
  }
  /** Records our leave and fsyncs. */
  leave(): void {
    this.#recorder.leave();
    this.#enqueue(true);
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = this.#opts.clock.setTimer(this.#opts.flushIntervalMs ?? 500, () => {
      if (this.#clockSource) this.#recorder.memberClock(this.#clockSource());
      this.#enqueue(false);
      this.#schedule();
    });
  }

  #enqueue(sync: boolean): Promise<void> {
    this.#chain = this.#chain.then(() => this.#write(sync)).catch((e: unknown) => {
      this.#opts.log.error("serf.snapshot.write_failed", { path: this.path, error: String(e) });
    });
    return this.#chain;
  }

  async #write(sync: boolean): Promise<void> {
    if (this.#pending !== "") {
      const bytes = new TextEncoder().encode(this.#pending);
      this.#pending = "";
      let off = 0;
      while (off < bytes.length) off += await this.#file.write(bytes.subarray(off));
      this.#sizeBytes += bytes.length;
    }
    if (sync) await this.#file.sync();
    if (this.#recorder.needsCompaction(this.#sizeBytes)) await this.#compact();
  }

  async #compact(): Promise<void> {
    const tmp = `${this.path}.compact`;
    const text = this.#recorder.compacted();
    await Deno.writeTextFile(tmp, text);
    const f = await Deno.open(tmp, { read: true });
    await f.sync();
    f.close();
    await Deno.rename(tmp, this.path);
    this.#file.close();
    this.#file = await Deno.open(this.path, { append: true });
    this.#sizeBytes = new TextEncoder().encode(text).length;
    this.#opts.log.info("serf.snapshot.compacted", { path: this.path, sizeBytes: this.#sizeBytes });
  }

  /** Writes and fsyncs everything pending; used on shutdown. */
  flush(): Promise<void> {
    return this.#enqueue(true);
  }

  /** Flushes, stops the timer and closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== null) this.#opts.clock.clearTimer(this.#timer);
    if (this.#clockSource) this.#recorder.memberClock(this.#clockSource());
    await this.#enqueue(true);
    this.#file.close();
  }
}

/**
 * Auto-rejoin after a restart (§8): tries the remembered members other than `self` one at a
 * time, in random order, and stops at the first that works. Resolves to the name/address joined,
 * or `null` when none answered.
 */
export async function rejoinFromSnapshot(
  serf: { localName: string; join(addrs: readonly string[], ignoreOld?: boolean): Promise<number> },
  replay: SnapshotReplay,
  prng: Prng,
): Promise<string | null> {
  for (const addr of rejoinAddresses(replay, serf.localName, prng)) {
    try {
      if ((await serf.join([addr], false)) > 0) return addr;
    } catch {
      // try the next remembered member
    }
  }
  return null;
}
