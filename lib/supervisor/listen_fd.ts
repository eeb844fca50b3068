/**
 * The listening socket handed to the worker as fd 3: the one place that knows how the fd is made.
 *
 * The socket is created through FFI with `SOCK_CLOEXEC` (so it leaks into no other child) and
 * without `SOCK_NONBLOCK` (the flag lives on the shared open file description, and a worker doing
 * a plain blocking `accept()` must not see `EAGAIN`). The spawner dups it onto fd 3 in the child
 * only. The parent keeps its copy open for the worker's whole life: readiness probes watch its
 * accept queue, and a restarted worker could inherit the same port.
 *
 * @module
 */

import { C, errno, libc } from "./_libc.ts";
import { type ListenAddress, parseListenAddress } from "./address.ts";
import { ListenError, SyscallError } from "./errors.ts";
import { joinHostPort } from "../net/mod.ts";

/** The address a {@linkcode ListenSocket} is actually bound to. */
export interface BoundAddress {
  readonly family: 4 | 6;
  /** The host as requested (`0.0.0.0`, `::1`). */
  readonly host: string;
  /** The bound port (the kernel's choice when 0 was requested). */
  readonly port: number;
  /** The 4 or 16 address bytes. */
  readonly bytes: Uint8Array;
}

/** A bound, listening socket owned by the parent. */
export interface ListenSocket {
  /** The parent's fd number (never 0–3); the worker sees it as fd 3. */
  readonly fd: number;
  readonly address: BoundAddress;
  /** True when connections wait in the accept queue (nobody has accepted them yet). */
  hasPendingConnections(): boolean;
  /** Closes the parent's copy. Idempotent. */
  close(): void;
}

/** Options for {@linkcode openListenSocket}. */
export interface OpenListenSocketOptions {
  /**
   * The `listen()` backlog.
   * @default {511}
   */
  backlog?: number;
}

/** Lowest fd number the parent's copy may have: 0–2 are stdio and 3 is the child's slot. */
const FD_FLOOR = 10;

/**
 * Creates, binds and listens on a TCP socket for `address` (`HOST:PORT` or `[V6]:PORT`).
 *
 * @example
 * ```ts ignore
 * import { openListenSocket } from "./listen_fd.ts";
 * const sock = openListenSocket("127.0.0.1:0");
 * console.log(sock.address.port);
 * sock.close();
 * ```
 */
export function openListenSocket(
  address: string | ListenAddress,
  options: OpenListenSocketOptions = {},
): ListenSocket {
  const addr = typeof address === "string" ? parseListenAddress(address) : address;
  const lc = libc();
  const family = addr.family === 6 ? C.AF_INET6 : C.AF_INET;
  let fd = lc.socket(family, C.SOCK_STREAM | C.SOCK_CLOEXEC, 0);
  if (fd < 0) throw listenError("socket", addr);
  try {
    fd = raiseFd(fd);
    const one = new Int32Array([1]);
    if (lc.setsockopt(fd, C.SOL_SOCKET, C.SO_REUSEADDR, one, 4) !== 0) {
      throw listenError("setsockopt", addr);
    }
    const sa = encodeSockaddr(addr.family, addr.bytes, addr.port);
    if (lc.bind(fd, sa, sa.length) !== 0) throw listenError("bind", addr);
    if (lc.listen(fd, options.backlog ?? 511) !== 0) throw listenError("listen", addr);
    const port = boundPort(fd);
    return new FfiListenSocket(fd, {
      family: addr.family,
      host: addr.host,
      port,
      bytes: addr.bytes,
    });
  } catch (e) {
    lc.close(fd);
    throw e;
  }
}

class FfiListenSocket implements ListenSocket {
  readonly fd: number;
  readonly address: BoundAddress;
  #closed = false;
  constructor(fd: number, address: BoundAddress) {
    this.fd = fd;
    this.address = address;
  }
  hasPendingConnections(): boolean {
    if (this.#closed) return false;
    const pfd = new Uint8Array(8);
    const view = new DataView(pfd.buffer);
    view.setInt32(0, this.fd, true);
    view.setInt16(4, C.POLLIN, true);
    const n = libc().poll(pfd, 1n, 0);
    if (n < 0) throw SyscallError.last("poll");
    return (view.getInt16(6, true) & C.POLLIN) !== 0;
  }
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    libc().close(this.fd);
  }
}

/** Moves `fd` to a number ≥ FD_FLOOR (keeping CLOEXEC) so it never collides with fds 0–3. */
function raiseFd(fd: number): number {
  if (fd >= FD_FLOOR) return fd;
  const lc = libc();
  const high = lc.fcntl(fd, C.F_DUPFD_CLOEXEC, FD_FLOOR);
  const err = errno();
  lc.close(fd);
  if (high < 0) throw new SyscallError({ syscall: "fcntl", errno: err });
  return high;
}

/** Encodes a `sockaddr_in` (16 bytes) or `sockaddr_in6` (28 bytes). */
export function encodeSockaddr(family: 4 | 6, bytes: Uint8Array, port: number): Uint8Array {
  const out = new Uint8Array(family === 6 ? 28 : 16);
  const view = new DataView(out.buffer);
  view.setUint16(0, family === 6 ? C.AF_INET6 : C.AF_INET, true);
  view.setUint16(2, port, false);
  out.set(bytes, family === 6 ? 8 : 4);
  return out;
}

function boundPort(fd: number): number {
  const sa = new Uint8Array(28);
  const len = new Uint32Array([sa.length]);
  if (libc().getsockname(fd, sa, len) !== 0) {
    throw SyscallError.last("getsockname");
  }
  return new DataView(sa.buffer).getUint16(2, false);
}

function listenError(call: string, addr: ListenAddress): ListenError {
  const code = errno();
  const cause = new SyscallError({ syscall: call, errno: code });
  const where = joinHostPort(addr.host, addr.port);
  return new ListenError(`Cannot listen on ${where}: ${cause.message}`, { cause });
}
