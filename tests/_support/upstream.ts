/**
 * Test helpers for the HTTP side of HAProxy: small real upstreams in Deno on loopback addresses,
 * and GETs through HAProxy that report what a client saw.
 *
 * @module
 */

/** A real HTTP upstream on a loopback address. */
export interface Upstream {
  readonly id: string;
  readonly hostname: string;
  readonly port: number;
  /** Non-health requests received, in order (paths). */
  readonly requests: string[];
  /** When false, `/health` answers 503. */
  healthy: boolean;
  /** Lets every held `/hold` request finish. */
  release(): void;
  /** Number of `/hold` requests currently held. */
  readonly held: number;
  close(): Promise<void>;
}

/**
 * Starts an HTTP upstream. `/health` answers 200 (or 503 when unhealthy); `/hold` waits until
 * {@linkcode Upstream.release} (used for long in-flight requests); anything else answers at once.
 * Every answer's body is the upstream's id.
 */
export function startUpstream(id: string, hostname = "127.0.0.1"): Upstream {
  const requests: string[] = [];
  let waiters: Array<() => void> = [];
  const server = Deno.serve({ hostname, port: 0, onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/health") {
      return new Response(id, { status: upstream.healthy ? 200 : 503 });
    }
    requests.push(path);
    if (path === "/hold") await new Promise<void>((resolve) => waiters.push(resolve));
    return new Response(id);
  });
  const upstream: Upstream = {
    id,
    hostname,
    port: server.addr.port,
    requests,
    healthy: true,
    release() {
      const ready = waiters;
      waiters = [];
      for (const resolve of ready) resolve();
    },
    get held() {
      return waiters.length;
    },
    async close() {
      upstream.release();
      await server.shutdown();
    },
  };
  return upstream;
}

/**
 * One GET through HAProxy that never rejects: the status as text (`"200"`, `"502"`), `"closed"`
 * when the connection closed without a response, else `"error: ..."`. Safe to start early and
 * await late (no unhandled rejection while the test does something else).
 */
export async function getOutcome(url: string): Promise<string> {
  try {
    return String((await get(url)).status);
  } catch (error) {
    const text = String(error instanceof Error && error.cause ? error.cause : error);
    return /connection closed before message completed/.test(text) ? "closed" : `error: ${text}`;
  }
}

/** One GET through HAProxy; returns the status and body (the upstream id on success). */
export async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { headers: { connection: "close" } });
  return { status: res.status, body: await res.text() };
}
