/**
 * A tap on a {@linkcode Logger}: every event, whatever the configured output level, is kept in a
 * bounded ring of recent records and handed to subscribers (the agent RPC's `monitor`), as serf's
 * agent keeps its last 512 log lines for `serf monitor`.
 *
 * @example
 * ```ts
 * import { LogTap } from "./tap.ts";
 * import { MemoryLogger } from "./logger.ts";
 * const tap = new LogTap({ nowMs: () => 0 });
 * const log = tap.wrap(new MemoryLogger());
 * log.info("agent.started");
 * const seen: string[] = [];
 * tap.subscribe((r) => seen.push(r.event)); // replays the ring first
 * console.assert(seen[0] === "agent.started");
 * ```
 *
 * @module
 */

import type { LogFields, Logger, LogLevel } from "./logger.ts";

/** One tapped event. */
export interface TapRecord {
  /** Wall-clock time, ms since the Unix epoch. */
  readonly timeMs: number;
  readonly level: LogLevel;
  readonly event: string;
  readonly fields: LogFields;
}

/** Receives tapped records, synchronously. */
export type TapHandler = (r: TapRecord) => void;

/** Options of {@linkcode LogTap}. */
export interface LogTapOptions {
  /** Records kept for replay (serf's agent: 512 lines). @default 512 */
  readonly capacity?: number;
  /**
   * Wall-clock time (ms since the Unix epoch) for the records' time stamps: the composition root
   * passes the machine's (`GossipHost.wallMs`), the simulation its virtual one.
   */
  readonly nowMs: () => number;
}

/** See the module documentation. */
export class LogTap {
  readonly #ring: (TapRecord | undefined)[];
  #next = 0;
  readonly #handlers = new Set<TapHandler>();
  readonly #nowMs: () => number;
  #delivering = false;

  constructor(opts: LogTapOptions) {
    this.#ring = Array<TapRecord | undefined>(opts.capacity ?? 512);
    this.#nowMs = opts.nowMs;
  }

  /** A logger that logs to `base` and into this tap, with the same `with()` fields. */
  wrap(base: Logger, fields: LogFields = {}): Logger {
    const log = (level: LogLevel) => (event: string, f: LogFields = {}) => {
      base[level](event, f);
      this.record(level, event, { ...fields, ...f });
    };
    return {
      debug: log("debug"),
      info: log("info"),
      warn: log("warn"),
      error: log("error"),
      with: (more) => this.wrap(base.with(more), { ...fields, ...more }),
    };
  }

  /** Keeps one record and hands it to every subscriber. */
  record(level: LogLevel, event: string, fields: LogFields): void {
    const r: TapRecord = { timeMs: this.#nowMs(), level, event, fields };
    this.#ring[this.#next] = r;
    this.#next = (this.#next + 1) % this.#ring.length;
    // A handler that logs would feed itself; such records are kept but not re-delivered.
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      for (const h of this.#handlers) h(r);
    } finally {
      this.#delivering = false;
    }
  }

  /** Replays the kept records (oldest first) to `handler`, then follows; returns the unsubscribe. */
  subscribe(handler: TapHandler): () => void {
    for (let i = 0; i < this.#ring.length; i++) {
      const r = this.#ring[(this.#next + i) % this.#ring.length];
      if (r !== undefined) handler(r);
    }
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }
}
