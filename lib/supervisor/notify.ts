/**
 * The `NOTIFY_SOCKET` receiver (systemd's sd_notify protocol): a UNIX datagram socket in a
 * private temporary directory. Deno's `listenDatagram({transport: "unixpacket"})` binds a
 * `SOCK_DGRAM` UNIX socket (needs the `net` unstable feature, which shoal enables).
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";

/** Largest datagram read; sd_notify messages are a few short `KEY=VALUE` lines. */
const MESSAGE_BYTES_MAX = 4096;

/**
 * Parses one sd_notify datagram (newline-separated `KEY=VALUE` lines) into a map; lines without
 * `=` are ignored.
 *
 * @example
 * ```ts
 * import { parseNotifyMessage } from "./notify.ts";
 * console.assert(parseNotifyMessage("READY=1\nSTATUS=up").get("READY") === "1");
 * ```
 */
export function parseNotifyMessage(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) out.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out;
}

/** A bound notify socket. */
export class NotifySocket {
  /** The path to put in the worker's `NOTIFY_SOCKET`. */
  readonly path: string;
  /** Resolves on the first `READY=1`. */
  readonly ready: Promise<void>;
  readonly #conn: Deno.DatagramConn;
  readonly #dir: string;
  readonly #log: Logger;
  readonly #loop: Promise<void>;
  #markReady!: () => void;

  private constructor(conn: Deno.DatagramConn, dir: string, path: string, log: Logger) {
    this.#conn = conn;
    this.#dir = dir;
    this.path = path;
    this.#log = log;
    this.ready = new Promise((resolve) => this.#markReady = resolve);
    this.#loop = this.#receive();
  }

  /** Creates a private directory and binds `notify.sock` in it. */
  static async open(logger: Logger): Promise<NotifySocket> {
    const dir = await Deno.makeTempDir({ prefix: "shoal-notify-" });
    const path = `${dir}/notify.sock`;
    try {
      const conn = Deno.listenDatagram({ transport: "unixpacket", path });
      return new NotifySocket(conn, dir, path, logger);
    } catch (e) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw e;
    }
  }

  /** Closes the socket and removes its directory. */
  async close(): Promise<void> {
    try {
      this.#conn.close();
    } catch { /* already closed */ }
    await this.#loop;
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }

  async #receive(): Promise<void> {
    const buf = new Uint8Array(MESSAGE_BYTES_MAX);
    const decoder = new TextDecoder();
    for (;;) {
      let data: Uint8Array;
      try {
        [data] = await this.#conn.receive(buf);
      } catch {
        return; // closed
      }
      const msg = parseNotifyMessage(decoder.decode(data));
      if (msg.has("STATUS")) this.#log.info("worker.status", { status: msg.get("STATUS") });
      if (msg.get("READY") === "1") this.#markReady();
    }
  }
}
