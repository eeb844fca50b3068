/**
 * `--log-haproxy`: a supervised HAProxy's stdout and stderr lines wrapped into the structured log
 * as `haproxy.output`, at the level HAProxy's own severity tag gives them (`[ALERT]` is an error,
 * `[WARNING]` a warning, the rest info), as `--log-worker` does for a task's worker.
 *
 * @module
 */

import type { Logger, LogLevel } from "../../log/logger.ts";
import { LineSplitter } from "../../supervisor/log_lines.ts";

const SEVERITY = /^\[(EMERG|ALERT|CRIT|ERR|ERROR|WARNING|NOTICE|INFO|DEBUG)\]\s*/;

/** The log level of one HAProxy output line, from its severity tag. */
export function haproxyLineLevel(line: string): LogLevel {
  const tag = SEVERITY.exec(line)?.[1];
  if (tag === "EMERG" || tag === "ALERT" || tag === "CRIT" || tag === "ERR" || tag === "ERROR") {
    return "error";
  }
  if (tag === "WARNING") return "warn";
  return tag === "DEBUG" ? "debug" : "info";
}

/** Logs every line of `stream` as `haproxy.output`; resolves at EOF. */
export async function pumpHaproxyOutput(
  stream: ReadableStream<Uint8Array>,
  log: Logger,
  name: "stdout" | "stderr",
): Promise<void> {
  const splitter = new LineSplitter();
  const emit = (line: string) => {
    if (line.trim() === "") return;
    log[haproxyLineLevel(line)]("haproxy.output", { stream: name, line });
  };
  for await (const chunk of stream) splitter.push(chunk).forEach(emit);
  splitter.flush().forEach(emit);
}
