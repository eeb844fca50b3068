/**
 * Which address a task advertises to the cluster: the one HAProxy will connect to.
 *
 * In order: `--advertise`; a specific `--bind` address; the ECS task metadata endpoint v4 (awsvpc
 * tasks, `ECS_CONTAINER_METADATA_URI_V4`); EC2 instance metadata (IMDSv2); the first non-loopback
 * interface. The sources that need the network are tried with a short timeout each, and the
 * choice is logged with its source.
 *
 * @module
 */

import type { Endpoint } from "../../config.ts";

/** Where the advertised address came from. */
export type AdvertiseSource = "flag" | "bind" | "ecs" | "imds" | "interface";

/** The chosen address. */
export interface AdvertiseChoice {
  readonly host: string;
  readonly source: AdvertiseSource;
}

/** A network interface as `Deno.networkInterfaces()` reports it. */
export interface InterfaceInfo {
  readonly family: "IPv4" | "IPv6";
  readonly address: string;
  readonly name: string;
}

/** What {@linkcode chooseAdvertise} may consult; all injected so tests use loopback servers. */
export interface AdvertiseDeps {
  /** Environment lookup (`ECS_CONTAINER_METADATA_URI_V4`, `AWS_EC2_METADATA_*`). */
  env(name: string): string | undefined;
  fetch: typeof fetch;
  interfaces(): InterfaceInfo[];
  /** Per-request timeout. @default 1000 */
  timeoutMs?: number;
}

/** The standard IMDS address; `AWS_EC2_METADATA_SERVICE_ENDPOINT` overrides it, as in AWS SDKs. */
export const IMDS_DEFAULT_ENDPOINT = "http://169.254.169.254";

/** Thrown when no address can be found. */
export class AdvertiseError extends Error {
  override name = "AdvertiseError";
}

const UNSPECIFIED = new Set(["0.0.0.0", "::", ""]);

/**
 * Picks the address to advertise.
 *
 * @example
 * ```ts
 * import { chooseAdvertise } from "./advertise.ts";
 * const c = await chooseAdvertise({ advertise: null, bind: { host: "127.0.0.5", port: 7946 } }, {
 *   env: () => undefined, fetch, interfaces: () => [],
 * });
 * console.assert(c.host === "127.0.0.5" && c.source === "bind");
 * ```
 */
export async function chooseAdvertise(
  flags: { advertise: Endpoint | null; bind: Endpoint },
  deps: AdvertiseDeps,
): Promise<AdvertiseChoice> {
  if (flags.advertise) return { host: flags.advertise.host, source: "flag" };
  if (!UNSPECIFIED.has(flags.bind.host)) return { host: flags.bind.host, source: "bind" };
  const ecs = await fromEcs(deps);
  if (ecs) return { host: ecs, source: "ecs" };
  const imds = await fromImds(deps);
  if (imds) return { host: imds, source: "imds" };
  const iface = deps.interfaces().find((i) => i.family === "IPv4" && !i.address.startsWith("127."));
  if (iface) return { host: iface.address, source: "interface" };
  throw new AdvertiseError(
    "Cannot find an address to advertise: set --advertise (no ECS metadata, no EC2 metadata, no non-loopback interface)",
  );
}

async function getJson(deps: AdvertiseDeps, url: string, init: RequestInit = {}): Promise<unknown> {
  const res = await deps.fetch(url, {
    ...init,
    signal: AbortSignal.timeout(deps.timeoutMs ?? 1000),
  });
  if (!res.ok) {
    await res.body?.cancel();
    return undefined;
  }
  return init.method === "PUT" ? await res.text() : await res.json();
}

/** ECS task metadata v4: the container's awsvpc IPv4 address. */
async function fromEcs(deps: AdvertiseDeps): Promise<string | undefined> {
  const meta = await ecsGet(deps, "") as {
    Networks?: { NetworkMode?: string; IPv4Addresses?: string[] }[];
  } | undefined;
  const net = meta?.Networks?.find((n) => n.NetworkMode === "awsvpc");
  const ip = net?.IPv4Addresses?.[0];
  return typeof ip === "string" && ip !== "" ? ip : undefined;
}

/** EC2 IMDSv2: a session token, then `local-ipv4`. */
async function fromImds(deps: AdvertiseDeps): Promise<string | undefined> {
  const ip = await imdsGet(deps, "local-ipv4");
  return ip !== undefined && /^\d{1,3}(\.\d{1,3}){3}$/.test(ip) ? ip : undefined;
}

/**
 * One EC2 instance metadata value (IMDSv2: a session token, then `meta-data/<path>`), trimmed;
 * undefined when metadata is off (`AWS_EC2_METADATA_DISABLED=true`), unreachable or refuses.
 */
export async function imdsGet(deps: AdvertiseDeps, path: string): Promise<string | undefined> {
  if ((deps.env("AWS_EC2_METADATA_DISABLED") ?? "").toLowerCase() === "true") return undefined;
  const base = (deps.env("AWS_EC2_METADATA_SERVICE_ENDPOINT") ?? IMDS_DEFAULT_ENDPOINT).replace(
    /\/$/,
    "",
  );
  try {
    const token = await getJson(deps, `${base}/latest/api/token`, {
      method: "PUT",
      headers: { "X-aws-ec2-metadata-token-ttl-seconds": "60" },
    });
    if (typeof token !== "string" || token === "") return undefined;
    const res = await deps.fetch(`${base}/latest/meta-data/${path}`, {
      headers: { "X-aws-ec2-metadata-token": token },
      signal: AbortSignal.timeout(deps.timeoutMs ?? 1000),
    });
    const text = (await res.text()).trim();
    return res.ok && text !== "" ? text : undefined;
  } catch {
    // fetch reports an unreachable host as TypeError, a slow one as TimeoutError: every failure
    // means "not on EC2", which is what undefined says.
    return undefined;
  }
}

/** The ECS task metadata v4 JSON at `<ECS_CONTAINER_METADATA_URI_V4><suffix>`, if reachable. */
export async function ecsGet(deps: AdvertiseDeps, suffix: string): Promise<unknown> {
  const base = deps.env("ECS_CONTAINER_METADATA_URI_V4");
  if (!base) return undefined;
  try {
    return await getJson(deps, `${base.replace(/\/$/, "")}${suffix}`);
  } catch {
    // Unreachable (TypeError), slow (TimeoutError) or not JSON (SyntaxError): no metadata.
    return undefined;
  }
}
