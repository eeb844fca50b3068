/**
 * The metrics HTTP shell: `GET /metrics` renders a {@linkcode Registry}, `GET /healthz` reports
 * the role's health. Everything else is 404 (unknown path) or 405 (not GET).
 *
 * @module
 */

import type { Endpoint } from "../config.ts";
import { joinHostPort } from "../net/mod.ts";
import { MetricsServerError } from "./errors.ts";
import { TEXT_CONTENT_TYPE } from "./format.ts";
import type { Registry } from "./registry.ts";
import { errorText } from "../log/error_text.ts";

/** The role's health as `/healthz` reports it. */
export interface HealthStatus {
  readonly ok: boolean;
  /** Why the role is unhealthy (shown in the 503 body); ignored when ok. */
  readonly reason: string;
}

/** Options of {@linkcode serveMetrics}. */
export interface ServeMetricsOptions {
  /** Address to listen on; port 0 picks a free port. */
  readonly addr: Endpoint;
  readonly registry: Registry;
  /** Called on every `/healthz`; a throwing callback counts as unhealthy. */
  readonly health: () => HealthStatus;
}

/** A running metrics server. */
export interface MetricsServer {
  /** The address actually bound (the real port when 0 was asked for). */
  readonly addr: Endpoint;
  /** Stops accepting connections, lets in-flight requests finish, and resolves when closed. */
  close(): Promise<void>;
}

const TEXT = "text/plain; charset=utf-8";

/** Answers one request; exported so the routing can be tested without a socket. */
export function handleMetricsRequest(
  req: Request,
  deps: Pick<ServeMetricsOptions, "registry" | "health">,
): Response {
  const path = new URL(req.url).pathname;
  if (path !== "/metrics" && path !== "/healthz") {
    return new Response("not found\n", { status: 404, headers: { "content-type": TEXT } });
  }
  if (req.method !== "GET") {
    return new Response("method not allowed\n", {
      status: 405,
      headers: { "content-type": TEXT, allow: "GET" },
    });
  }
  if (path === "/metrics") {
    return new Response(deps.registry.render(), {
      headers: { "content-type": TEXT_CONTENT_TYPE },
    });
  }
  let status: HealthStatus;
  try {
    status = deps.health();
  } catch (err) {
    status = { ok: false, reason: `health check failed: ${String(err)}` };
  }
  return status.ok
    ? new Response("ok\n", { headers: { "content-type": TEXT } })
    : new Response(`${status.reason.replaceAll("\n", " ")}\n`, {
      status: 503,
      headers: { "content-type": TEXT },
    });
}

/**
 * Starts the metrics server on `Deno.serve`. A bind failure throws {@linkcode MetricsServerError}
 * with the address and the underlying error as `cause`.
 *
 * @example
 * ```ts ignore
 * import { Registry, serveMetrics } from "./mod.ts";
 * const server = serveMetrics({
 *   addr: { host: "127.0.0.1", port: 0 },
 *   registry: new Registry(),
 *   health: () => ({ ok: true, reason: "" }),
 * });
 * await server.close();
 * ```
 */
export function serveMetrics(options: ServeMetricsOptions): MetricsServer {
  const wanted = formatAddr(options.addr);
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: options.addr.host,
      port: options.addr.port,
      onListen: () => {},
      onError: () => new Response("internal error\n", { status: 500 }),
    }, (req) => handleMetricsRequest(req, options));
  } catch (err) {
    throw new MetricsServerError(
      `Cannot serve metrics on ${wanted}: ${errorText(err)}`,
      wanted,
      { cause: err },
    );
  }
  const bound = server.addr;
  return {
    addr: { host: bound.hostname, port: bound.port },
    close: async () => {
      await server.shutdown();
      await server.finished;
    },
  };
}

function formatAddr(addr: Endpoint): string {
  return joinHostPort(addr.host, addr.port);
}
