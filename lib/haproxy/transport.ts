/**
 * The byte stream the client talks over, and its UNIX-socket implementation.
 *
 * @module
 */

import { HaproxyConnectionError } from "./errors.ts";

/** A connected byte stream (a subset of `Deno.Conn`). */
export interface RuntimeConn {
  /** Reads into `p`; resolves the byte count, or null at end of stream. */
  read(p: Uint8Array): Promise<number | null>;
  /** Writes from `p`; resolves the byte count written. */
  write(p: Uint8Array): Promise<number>;
  /** Closes the connection. */
  close(): void;
}

/** Opens a new connection to the runtime API. */
export type Connector = () => Promise<RuntimeConn>;

/**
 * Connects to HAProxy's admin socket at `path`. Needs read, write and net access to the path
 * (see the Deno permission notes); the socket must be at `level admin`.
 *
 * @example
 * ```ts ignore
 * import { unixConnector } from "./transport.ts";
 * const conn = await unixConnector("/run/haproxy/admin.sock")();
 * conn.close();
 * ```
 */
export function unixConnector(path: string): Connector {
  return async () => {
    try {
      return await Deno.connect({ transport: "unix", path });
    } catch (cause) {
      throw new HaproxyConnectionError(
        `Cannot connect to HAProxy admin socket ${JSON.stringify(path)}`,
        { cause },
      );
    }
  };
}

/** Writes every byte of `data`. */
export async function writeAll(conn: RuntimeConn, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    offset += await conn.write(data.subarray(offset));
  }
}
