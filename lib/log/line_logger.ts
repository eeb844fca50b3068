/**
 * The production {@linkcode Logger}: JSON lines on stderr when stderr is not a terminal, readable
 * text when it is. Every line carries the node name and the role.
 *
 * Lines are written synchronously, so nothing is lost when the process exits right after logging.
 * It is written here rather than on a logging library: level filtering and two line formats are
 * all shoal needs, and `@logtape/logtape` (with the npm layer under it) cost about 5 MB of resident
 * memory in every `shoal task`.
 *
 * @module
 */

import { LOG_LEVELS, type LogFields, type Logger, type LogLevel } from "./logger.ts";
import { normalizeFields } from "./schema.ts";

/** Options for {@linkcode createLogger}. */
export interface LoggerOptions {
  /** Lowest level written. @default "info" */
  level?: LogLevel;
  /** `json`, `text`, or `auto` (text on a TTY). @default "auto" */
  format?: "auto" | "json" | "text";
  /** Fields on every line, at least `node` and `role`. */
  fields?: LogFields;
  /** Where lines go (the composition root passes `Deno.stderr`). */
  output: { writeSync(p: Uint8Array): number; isTerminal(): boolean };
  /**
   * Wall-clock time (ms since the Unix epoch) for the `ts` field: the composition root passes the
   * machine's (`GossipHost.wallMs`), the simulation its virtual one.
   */
  nowMs: () => number;
}

/** One event as the line formats see it. */
export interface LineRecord {
  readonly timeMs: number;
  readonly level: LogLevel;
  readonly event: string;
  readonly fields: LogFields;
}

const encoder = new TextEncoder();

function jsonValue(v: unknown): unknown {
  if (v instanceof Error) return { name: v.name, message: v.message };
  if (v instanceof Uint8Array) {
    return `0x${[...v].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  }
  if (v instanceof Map) return Object.fromEntries(v);
  if (typeof v === "bigint") return v.toString();
  return v;
}

/** Renders one record as a JSON object line: `ts`, `level`, `event`, then the fields. */
export function formatJsonLine(r: LineRecord): string {
  const obj: Record<string, unknown> = {
    ts: new Date(r.timeMs).toISOString(),
    level: r.level,
    event: r.event,
  };
  for (const [k, v] of Object.entries(r.fields)) {
    if (k !== "ts" && k !== "level" && k !== "event") obj[k] = jsonValue(v);
  }
  return JSON.stringify(obj) + "\n";
}

/** Renders one record as `time LEVEL event key=value ...`. */
export function formatTextLine(r: LineRecord): string {
  const kv = Object.entries(r.fields).map(([k, v]) => {
    const j = jsonValue(v);
    const s = typeof j === "string" ? j : JSON.stringify(j);
    return `${k}=${/[\s"=]/.test(s) ? JSON.stringify(s) : s}`;
  });
  const level = r.level.toUpperCase().padEnd(5);
  return `${new Date(r.timeMs).toISOString()} ${level} ${r.event} ${kv.join(" ")}`.trimEnd() +
    "\n";
}

/** Where a {@linkcode LineLogger} and the loggers derived from it write. */
interface LineSink {
  readonly lowest: number;
  readonly json: boolean;
  readonly output: { writeSync(p: Uint8Array): number };
  readonly nowMs: () => number;
}

class LineLogger implements Logger {
  constructor(readonly sink: LineSink, readonly fields: LogFields) {}

  #log(level: LogLevel, event: string, fields: LogFields | undefined): void {
    if (LOG_LEVELS.indexOf(level) < this.sink.lowest) return;
    const r = {
      timeMs: this.sink.nowMs(),
      level,
      event,
      fields: normalizeFields(this.fields, fields),
    };
    const bytes = encoder.encode(this.sink.json ? formatJsonLine(r) : formatTextLine(r));
    let off = 0;
    while (off < bytes.length) off += this.sink.output.writeSync(bytes.subarray(off));
  }
  debug(event: string, fields?: LogFields): void {
    this.#log("debug", event, fields);
  }
  info(event: string, fields?: LogFields): void {
    this.#log("info", event, fields);
  }
  warn(event: string, fields?: LogFields): void {
    this.#log("warn", event, fields);
  }
  error(event: string, fields?: LogFields): void {
    this.#log("error", event, fields);
  }
  with(fields: LogFields): Logger {
    return new LineLogger(this.sink, normalizeFields(this.fields, fields));
  }
}

/**
 * The root logger of a process. Call once, from a composition root.
 *
 * @example
 * ```ts
 * import { createLogger } from "./line_logger.ts";
 * const lines: string[] = [];
 * const output = {
 *   writeSync: (p: Uint8Array) => (lines.push(new TextDecoder().decode(p)), p.length),
 *   isTerminal: () => false,
 * };
 * const fields = { node: "a", role: "agent" };
 * const log = createLogger({ level: "debug", fields, output, nowMs: () => 0 });
 * log.info("agent.started", { bind: "127.0.0.1:7946" });
 * console.assert(JSON.parse(lines[0]!).bind === "127.0.0.1:7946");
 * ```
 */
export function createLogger(options: LoggerOptions): Logger {
  const output = options.output;
  const format = options.format ?? "auto";
  const sink: LineSink = {
    lowest: LOG_LEVELS.indexOf(options.level ?? "info"),
    json: format === "json" || (format === "auto" && !output.isTerminal()),
    output,
    nowMs: options.nowMs,
  };
  return new LineLogger(sink, options.fields ?? {});
}
