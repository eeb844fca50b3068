/**
 * The production {@linkcode Logger}, on `@logtape/logtape`: JSON lines on stderr when stderr is not
 * a terminal, readable text when it is. Every line carries the node name and the role.
 *
 * Lines are written synchronously, so nothing is lost when the process exits right after logging.
 *
 * @module
 */

import {
  configureSync,
  getLogger,
  type LogRecord as TapeRecord,
  resetSync,
  type Sink,
} from "@logtape/logtape";
import type { LogFields, Logger, LogLevel } from "./logger.ts";
import { normalizeFields } from "./schema.ts";

/** Options for {@linkcode createLogger}. */
export interface LoggerOptions {
  /** Lowest level written. @default "info" */
  level?: LogLevel;
  /** `json`, `text`, or `auto` (text on a TTY). @default "auto" */
  format?: "auto" | "json" | "text";
  /** Fields on every line, at least `node` and `role`. */
  fields?: LogFields;
  /** Where lines go. @default Deno.stderr */
  output?: { writeSync(p: Uint8Array): number; isTerminal(): boolean };
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

/** Renders one record as a JSON object line. */
export function formatJsonLine(r: TapeRecord): string {
  const { event: _e, ...fields } = r.properties as Record<string, unknown>;
  const obj: Record<string, unknown> = {
    ts: new Date(r.timestamp).toISOString(),
    level: r.level === "warning" ? "warn" : r.level,
    event: String(r.properties.event ?? r.rawMessage),
  };
  for (const [k, v] of Object.entries(fields)) obj[k] = jsonValue(v);
  return JSON.stringify(obj) + "\n";
}

/** Renders one record as `time LEVEL event key=value ...`. */
export function formatTextLine(r: TapeRecord): string {
  const { event, ...fields } = r.properties as Record<string, unknown>;
  const level = (r.level === "warning" ? "warn" : r.level).toUpperCase().padEnd(5);
  const kv = Object.entries(fields).map(([k, v]) => {
    const j = jsonValue(v);
    const s = typeof j === "string" ? j : JSON.stringify(j);
    return `${k}=${/[\s"=]/.test(s) ? JSON.stringify(s) : s}`;
  });
  return `${new Date(r.timestamp).toISOString()} ${level} ${String(event)} ${kv.join(" ")}`
    .trimEnd() + "\n";
}

const TAPE_LEVEL = { debug: "debug", info: "info", warn: "warning", error: "error" } as const;

class TapeLogger implements Logger {
  constructor(readonly fields: LogFields) {}
  #log(level: LogLevel, event: string, fields: LogFields | undefined): void {
    const logger = getLogger(["shoal"]);
    const props = { event, ...normalizeFields(this.fields, fields) };
    switch (level) {
      case "debug":
        return logger.debug(event, props);
      case "info":
        return logger.info(event, props);
      case "warn":
        return logger.warn(event, props);
      case "error":
        return logger.error(event, props);
    }
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
    return new TapeLogger(normalizeFields(this.fields, fields));
  }
}

/**
 * Configures logtape for this process and returns the root logger. Call once, from a composition
 * root.
 *
 * @example
 * ```ts ignore
 * import { createLogger } from "./logtape.ts";
 * const log = createLogger({ level: "debug", fields: { node: "a", role: "agent" } });
 * log.info("agent.started", { bind: "127.0.0.1:7946" });
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const output = options.output ?? Deno.stderr;
  const format = options.format ?? "auto";
  const json = format === "json" || (format === "auto" && !output.isTerminal());
  const sink: Sink = (record) => {
    const line = json ? formatJsonLine(record) : formatTextLine(record);
    const bytes = encoder.encode(line);
    let off = 0;
    while (off < bytes.length) off += output.writeSync(bytes.subarray(off));
  };
  resetSync();
  configureSync({
    sinks: { out: sink },
    loggers: [
      { category: ["shoal"], lowestLevel: TAPE_LEVEL[options.level ?? "info"], sinks: ["out"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["out"] },
    ],
  });
  return new TapeLogger(options.fields ?? {});
}
