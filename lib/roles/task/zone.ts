/**
 * Which zone a task is in, carried to the sidecars as its `zone` tag: `--zone` (`SHOAL_ZONE`);
 * else the ECS task metadata's `AvailabilityZone` (`$ECS_CONTAINER_METADATA_URI_V4/task`); else
 * EC2 instance metadata `placement/availability-zone` (IMDSv2); else none. The metadata sources
 * are tried with the advertise address's short timeout each and injected fetch, so tests use a
 * server on loopback.
 *
 * @module
 */

import { type AdvertiseDeps, ecsGet, imdsGet } from "./advertise.ts";

/** Where the zone came from. */
export type ZoneSource = "flag" | "ecs" | "imds";

/** The chosen zone. */
export interface ZoneChoice {
  readonly zone: string;
  readonly source: ZoneSource;
}

/** What a metadata answer must look like to become a tag (`eu-west-1a`, `use1-az1`). */
const ZONE = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Picks the task's zone; undefined when no source knows it.
 *
 * @example
 * ```ts
 * import { chooseZone } from "./zone.ts";
 * const z = await chooseZone("eu-west-1a", { env: () => undefined, fetch, interfaces: () => [] });
 * console.assert(z?.zone === "eu-west-1a" && z.source === "flag");
 * ```
 */
export async function chooseZone(
  flag: string | null,
  deps: AdvertiseDeps,
): Promise<ZoneChoice | undefined> {
  if (flag !== null) return { zone: flag, source: "flag" };
  const task = await ecsGet(deps, "/task") as { AvailabilityZone?: unknown } | undefined;
  const ecs = task?.AvailabilityZone;
  if (typeof ecs === "string" && ZONE.test(ecs)) return { zone: ecs, source: "ecs" };
  const imds = await imdsGet(deps, "placement/availability-zone");
  if (imds !== undefined && ZONE.test(imds)) return { zone: imds, source: "imds" };
  return undefined;
}
