/**
 * A minimal HTTP/1.0 `GET` used by readiness and health checks: one connection per check, no
 * pooling (a pooled keep-alive connection would occupy a worker slot), bounded reads.
 *
 * @module
 */

import { joinHostPort } from "../net/mod.ts";

/** Bytes read at most while looking for the status line. */
const STATUS_LINE_BYTES_MAX = 8192;

/**
 * Extracts the status code from the start of an HTTP response, or `undefined` when `head` does
 * not (yet) hold a complete, well-formed status line.
 *
 * @example
 * ```ts
 * import { parseStatusLine } from "./http_probe.ts";
 * console.assert(parseStatusLine(new TextEncoder().encode("HTTP/1.1 204 No Content\r\n")) === 204);
 * ```
 */
export function parseStatusLine(head: Uint8Array): number | undefined {
  const text = new TextDecoder().decode(head);
  const end = text.indexOf("\n");
  if (end < 0) return undefined;
  const m = /^HTTP\/\d\.\d (\d{3})(?: |\r?$)/.exec(text.slice(0, end).replace(/\r$/, ""));
  return m === null ? undefined : Number(m[1]);
}

/** Options for {@linkcode httpGetStatus}. */
export interface HttpGetOptions {
  hostname: string;
  port: number;
  path: string;
  /** Aborts the request (closing the connection). */
  signal: AbortSignal;
}

/**
 * Sends `GET path` and resolves with the response status, or `undefined` when the connection
 * failed, closed early, was aborted, or the reply was not HTTP.
 */
export async function httpGetStatus(options: HttpGetOptions): Promise<number | undefined> {
  let conn: Deno.TcpConn | undefined;
  const onAbort = () => conn?.close();
  options.signal.addEventListener("abort", onAbort, { once: true });
  try {
    conn = await Deno.connect({ hostname: options.hostname, port: options.port });
    if (options.signal.aborted) return undefined;
    const host = joinHostPort(options.hostname, options.port);
    const req = `GET ${options.path} HTTP/1.0\r\nHost: ${host}\r\n` +
      `User-Agent: shoal-probe\r\nConnection: close\r\n\r\n`;
    await conn.write(new TextEncoder().encode(req));
    const head = new Uint8Array(STATUS_LINE_BYTES_MAX);
    let filled = 0;
    while (filled < head.length) {
      const n = await conn.read(head.subarray(filled));
      if (n === null) break;
      filled += n;
      const status = parseStatusLine(head.subarray(0, filled));
      if (status !== undefined) return status;
    }
    return parseStatusLine(head.subarray(0, filled));
  } catch {
    // Refused, reset, closed by the abort, timed out: every failure of the exchange is "no
    // status", which the caller counts as a failed check; there is nothing else to tell apart.
    return undefined;
  } finally {
    options.signal.removeEventListener("abort", onAbort);
    try {
      conn?.close();
    } catch { /* closed by abort */ }
  }
}
