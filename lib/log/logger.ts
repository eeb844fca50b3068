/**
 * The logger interface every layer of shoal logs through.
 *
 * Events have stable dotted names (`member.failed`, `haproxy.server.added`) and structured fields
 * (`node`, `backend`, `addr`). The composition root builds the real implementation (JSON or text
 * lines, `./line_logger.ts`); libraries and tests take any {@linkcode Logger}.
 *
 * @module
 */

/** Structured fields attached to a log event. */
export type LogFields = Readonly<Record<string, unknown>>;

/** Severity of a log event, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** All log levels, lowest first. */
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/**
 * A structured logger: an event name plus fields, never a preformatted string.
 *
 * @example
 * ```ts
 * import { nullLogger } from "./logger.ts";
 * nullLogger.info("member.joined", { node: "task-1", addr: "127.0.0.1:7946" });
 * ```
 */
export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every event it logs. */
  with(fields: LogFields): Logger;
}

/** A logger that discards everything. */
export const nullLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  with() {
    return nullLogger;
  },
};

/** One event captured by {@linkcode MemoryLogger}. */
export interface LogRecord {
  readonly level: LogLevel;
  readonly event: string;
  readonly fields: LogFields;
}

/**
 * A logger that keeps events in memory, for tests that assert what was logged.
 *
 * @example
 * ```ts
 * import { MemoryLogger } from "./logger.ts";
 * const log = new MemoryLogger();
 * log.with({ node: "a" }).warn("packet.dropped", { reason: "crc" });
 * console.assert(log.records[0]?.fields.node === "a");
 * ```
 */
export class MemoryLogger implements Logger {
  readonly records: LogRecord[];
  readonly #fields: LogFields;

  constructor(fields: LogFields = {}, records: LogRecord[] = []) {
    this.#fields = fields;
    this.records = records;
  }

  debug(event: string, fields: LogFields = {}): void {
    this.#push("debug", event, fields);
  }
  info(event: string, fields: LogFields = {}): void {
    this.#push("info", event, fields);
  }
  warn(event: string, fields: LogFields = {}): void {
    this.#push("warn", event, fields);
  }
  error(event: string, fields: LogFields = {}): void {
    this.#push("error", event, fields);
  }
  with(fields: LogFields): Logger {
    return new MemoryLogger({ ...this.#fields, ...fields }, this.records);
  }
  /** Events with the given name, in order. */
  named(event: string): LogRecord[] {
    return this.records.filter((r) => r.event === event);
  }

  #push(level: LogLevel, event: string, fields: LogFields): void {
    this.records.push({ level, event, fields: { ...this.#fields, ...fields } });
  }
}
