/**
 * Free ports for tests: one helper for every launcher (HAProxy, serf agents, shoal processes,
 * benchmarks), on any loopback address.
 *
 * @module
 */

/**
 * A port that was free for both TCP and UDP on `host` a moment ago (gossip uses both on one
 * port). Retries when the UDP side happens to be taken.
 */
export function freePortOn(host: string): number {
  for (let i = 0; i < 32; i++) {
    const l = Deno.listen({ hostname: host, port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    try {
      Deno.listenDatagram({ hostname: host, port, transport: "udp" }).close();
      return port;
    } catch {
      // the UDP side is taken; try another
    }
  }
  throw new Error(`No free port on ${host}`);
}

/** {@linkcode freePortOn} 127.0.0.1. */
export function freePort(): number {
  return freePortOn("127.0.0.1");
}
