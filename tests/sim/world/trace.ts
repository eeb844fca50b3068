/**
 * The event trace of a simulation run: every world action and every product log event at or
 * above `info`, with its virtual time. The run's identity is the 64-bit FNV-1a hash of the whole
 * trace; the last lines are kept for a short report.
 *
 * @module
 */

import type { Clock } from "../../../lib/clock.ts";
import type { LogFields, Logger } from "../../../lib/log/logger.ts";

const KEEP_LINES = 40;
const PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;
const encoder = new TextEncoder();

/** The trace: append lines, read the hash. */
export class Trace {
  readonly #clock: Clock;
  #hash = 0xcbf29ce484222325n;
  readonly #tail: string[] = [];
  lines = 0;
  /** Every line, when asked for (`--trace`). */
  readonly all: string[] | null;
  /** The last lines when the first violation was recorded. */
  frozenTail: string[] | null = null;

  constructor(clock: Clock, keepAll = false) {
    this.#clock = clock;
    this.all = keepAll ? [] : null;
  }

  /** Records `what` at the current virtual time. */
  add(what: string): void {
    const line = `${this.#clock.nowMs()} ${what}`;
    this.lines++;
    let h = this.#hash;
    for (const byte of encoder.encode(line + "\n")) h = ((h ^ BigInt(byte)) * PRIME) & MASK;
    this.#hash = h;
    this.#tail.push(line);
    this.all?.push(line);
    if (this.#tail.length > KEEP_LINES) this.#tail.shift();
  }

  /** The hash of everything recorded so far, as 16 hex digits. */
  get hash(): string {
    return this.#hash.toString(16).padStart(16, "0");
  }

  /** The last lines recorded. */
  tail(n = KEEP_LINES): string[] {
    return this.#tail.slice(-n);
  }
}

/** A product logger that writes `info` and above into the trace. */
export class TraceLogger implements Logger {
  readonly #trace: Trace;
  readonly #fields: LogFields;
  readonly #watch: ((level: string, event: string) => void) | undefined;

  constructor(trace: Trace, fields: LogFields, watch?: (level: string, event: string) => void) {
    this.#trace = trace;
    this.#fields = fields;
    this.#watch = watch;
  }

  debug(): void {}
  info(event: string, fields: LogFields = {}): void {
    this.#add("info", event, fields);
  }
  warn(event: string, fields: LogFields = {}): void {
    this.#add("warn", event, fields);
  }
  error(event: string, fields: LogFields = {}): void {
    this.#add("error", event, fields);
  }
  with(fields: LogFields): Logger {
    return new TraceLogger(this.#trace, { ...this.#fields, ...fields }, this.#watch);
  }

  #add(level: string, event: string, fields: LogFields): void {
    const extra = { ...this.#fields, ...fields };
    delete extra.proc;
    this.#trace.add(`${this.#fields.proc} ${level} ${event} ${JSON.stringify(extra)}`);
    this.#watch?.(level, event);
  }
}
