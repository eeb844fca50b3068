/**
 * The real {@linkcode GossipHost}: UDP/TCP sockets, the advertise address from the environment,
 * ECS/EC2 metadata (`fetch`) and the network interfaces, DNS A/AAAA lookups, the file system.
 * Only composition roots import it; everything below them takes a `GossipHost` (issue 15).
 *
 * @module
 */

import { DenoTransport } from "../gossip/deno_transport.ts";
import { JoinDnsError } from "../gossip/join_diagnostics.ts";
import { errorText } from "../log/error_text.ts";
import type { GossipHost } from "./gossip_runtime_options.ts";
import { chooseAdvertise } from "./task/advertise.ts";

/** A and AAAA records of `name`; throws the DNS error when neither lookup worked. */
export async function resolveHost(name: string): Promise<string[]> {
  const [a, aaaa] = await Promise.allSettled([
    Deno.resolveDns(name, "A"),
    Deno.resolveDns(name, "AAAA"),
  ]);
  if (a.status === "rejected" && aaaa.status === "rejected") {
    const why = errorText(a.reason);
    throw new JoinDnsError(`Cannot resolve ${JSON.stringify(name)}: ${why}`);
  }
  return [
    ...(a.status === "fulfilled" ? a.value : []),
    ...(aaaa.status === "fulfilled" ? aaaa.value : []),
  ];
}

/** The machine shoal runs on, as the gossip runtime sees it. */
export const denoGossipHost: GossipHost = {
  listen: (bind, logger) => DenoTransport.listen({ bind, logger }),
  advertise: (cfg) =>
    chooseAdvertise(cfg, {
      env: (n) => Deno.env.get(n),
      fetch,
      interfaces: () => Deno.networkInterfaces(),
    }),
  resolveHost,
  makeDir: (path) => Deno.mkdir(path, { recursive: true }),
  runtimeVersion: Deno.version.deno,
  wallMs: () => Date.now(),
};
