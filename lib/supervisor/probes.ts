/**
 * The I/O side of readiness and health checks: one {@linkcode Check} per specification.
 *
 * @module
 */

import { type Clock, sleep, timeoutSignal } from "../clock.ts";
import { connectHost } from "./address.ts";
import { SpawnError, SyscallError } from "./errors.ts";
import { httpGetStatus } from "./http_probe.ts";
import type { ListenSocket } from "./listen_fd.ts";
import type { HealthSpec } from "./probe_spec.ts";
import type { Spawner } from "./spawn.ts";

/**
 * How often the accept check looks at the accept queue while it waits. Watching the queue is
 * one `poll()` with a zero timeout, so a tight interval costs little and only lasts until ready.
 */
const ACCEPT_POLL_MS = 5;

/** A repeatable check; `run` resolves true on success and never rejects. */
export interface Check {
  /** One attempt, bounded by `timeoutMs`; resolves false at once when `signal` aborts. */
  run(timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  close(): void;
}

/** What checks need to reach the worker. */
export interface CheckContext {
  readonly listen: ListenSocket;
  readonly spawner: Spawner;
  readonly clock: Clock;
  /** Environment for `exec:` commands (the worker's, with `SHOAL_PORT` etc.). */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string | undefined;
}

/** Builds the check for `spec`; `tcp` is the accept check described in {@linkcode acceptCheck}. */
export function makeCheck(spec: HealthSpec | { kind: "tcp" }, ctx: CheckContext): Check {
  switch (spec.kind) {
    case "tcp":
      return acceptCheck(ctx);
    case "http":
      return httpCheck(spec.path, ctx);
    case "exec":
      return execCheck(spec.command, ctx);
  }
}

function httpCheck(path: string, ctx: CheckContext): Check {
  const hostname = connectHost(ctx.listen.address);
  const port = ctx.listen.address.port;
  return {
    async run(timeoutMs, signal) {
      const t = timeoutSignal(ctx.clock, timeoutMs, signal);
      try {
        const status = await httpGetStatus({ hostname, port, path, signal: t.signal });
        return status !== undefined && status >= 200 && status < 400;
      } finally {
        t.dispose();
      }
    },
    close() {},
  };
}

function execCheck(command: string, ctx: CheckContext): Check {
  return {
    async run(timeoutMs, signal) {
      let child;
      try {
        child = ctx.spawner.spawn({
          argv: ["/bin/sh", "-c", command],
          env: ctx.env,
          stdout: "null",
          ...(ctx.cwd === undefined ? {} : { cwd: ctx.cwd }),
        });
      } catch (err) {
        if (err instanceof SpawnError || err instanceof SyscallError) return false; // cannot run
        throw err;
      }
      const t = timeoutSignal(ctx.clock, timeoutMs, signal);
      const aborted = new Promise<undefined>((resolve) => {
        t.signal.addEventListener("abort", () => resolve(undefined), { once: true });
      });
      const status = await Promise.race([child.status.catch(() => undefined), aborted]);
      t.dispose();
      if (status !== undefined) return status.code === 0;
      child.kill("SIGKILL");
      await child.status.catch(() => undefined);
      return false;
    },
    close() {},
  };
}

/**
 * Readiness `tcp`: the worker has called `accept()` on the socket.
 *
 * A bare TCP connect proves nothing here: the parent created and listens on the socket, so the
 * kernel completes handshakes into the accept queue before the worker even runs. Instead the
 * check connects once through the bound port and then watches the parent's copy of the
 * listening socket: when the accept queue is empty again, someone (the worker) accepted our
 * connection. On loopback the handshake's final ACK is processed before `connect()` returns, so
 * the connection is queued by the time the queue is first inspected.
 */
export function acceptCheck(ctx: CheckContext): Check {
  let conn: Deno.TcpConn | undefined;
  let connecting: Promise<void> | undefined;
  const connect = async () => {
    try {
      conn = await Deno.connect({
        hostname: connectHost(ctx.listen.address),
        port: ctx.listen.address.port,
      });
    } catch {
      connecting = undefined; // retry on the next run
    }
  };
  return {
    async run(timeoutMs, signal) {
      if (conn === undefined) {
        connecting ??= connect();
        await connecting;
        if (conn === undefined) return false;
      }
      const deadline = ctx.clock.nowMs() + timeoutMs;
      while (ctx.listen.hasPendingConnections()) {
        if (ctx.clock.nowMs() >= deadline) return false;
        if (!await sleep(ctx.clock, ACCEPT_POLL_MS, { signal })) return false;
      }
      return signal?.aborted !== true;
    },
    close() {
      try {
        conn?.close();
      } catch { /* already closed */ }
    },
  };
}
