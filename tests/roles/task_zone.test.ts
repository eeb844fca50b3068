/**
 * `chooseZone()` against a fake ECS task metadata v4 and EC2 IMDSv2 server on loopback.
 */

import { deepStrictEqual, equal } from "node:assert/strict";
import { chooseZone } from "../../lib/roles/task/zone.ts";

/** Plays `<base>/v4/<id>/task` (ECS) and IMDSv2's token + `placement/availability-zone`. */
function metadataServer(opts: { ecsZone?: unknown; imdsZone?: string }) {
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const url = new URL(req.url);
    seen.push(`${req.method} ${url.pathname}`);
    if (url.pathname === "/v4/abc/task" && opts.ecsZone !== undefined) {
      return Response.json({ Cluster: "c", AvailabilityZone: opts.ecsZone });
    }
    if (url.pathname === "/latest/api/token" && req.method === "PUT" && opts.imdsZone) {
      return new Response("TOKEN-9");
    }
    if (url.pathname === "/latest/meta-data/placement/availability-zone" && opts.imdsZone) {
      return req.headers.get("X-aws-ec2-metadata-token") === "TOKEN-9"
        ? new Response(`${opts.imdsZone}\n`)
        : new Response("unauthorized", { status: 401 });
    }
    return new Response("no", { status: 404 });
  });
  return { server, base: `http://127.0.0.1:${server.addr.port}`, seen };
}

const deps = (env: Record<string, string>) => ({
  env: (n: string) => env[n],
  fetch,
  interfaces: () => [],
  timeoutMs: 500,
});

Deno.test("chooseZone(): --zone wins and nothing is asked", async () => {
  const m = metadataServer({ ecsZone: "eu-west-1b" });
  try {
    const env = { ECS_CONTAINER_METADATA_URI_V4: `${m.base}/v4/abc` };
    deepStrictEqual(await chooseZone("zone-x", deps(env)), { zone: "zone-x", source: "flag" });
    deepStrictEqual(m.seen, []);
  } finally {
    await m.server.shutdown();
  }
});

Deno.test("chooseZone(): the ECS task metadata's AvailabilityZone, then IMDS", async () => {
  const m = metadataServer({ ecsZone: "eu-west-1b", imdsZone: "eu-west-1c" });
  try {
    const ecs = { ECS_CONTAINER_METADATA_URI_V4: `${m.base}/v4/abc` };
    deepStrictEqual(await chooseZone(null, deps(ecs)), { zone: "eu-west-1b", source: "ecs" });
    const imds = { AWS_EC2_METADATA_SERVICE_ENDPOINT: m.base };
    deepStrictEqual(await chooseZone(null, deps(imds)), { zone: "eu-west-1c", source: "imds" });
    const off = { ...imds, AWS_EC2_METADATA_DISABLED: "true" };
    equal(await chooseZone(null, deps(off)), undefined, "IMDS turned off: no zone");
  } finally {
    await m.server.shutdown();
  }
});

Deno.test("chooseZone(): a malformed or missing zone in the metadata is no zone", async () => {
  const m = metadataServer({ ecsZone: "eu west;1" });
  try {
    const env = {
      ECS_CONTAINER_METADATA_URI_V4: `${m.base}/v4/abc`,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: m.base,
    };
    equal(await chooseZone(null, deps(env)), undefined);
    deepStrictEqual(m.seen, ["GET /v4/abc/task", "PUT /latest/api/token"]);
  } finally {
    await m.server.shutdown();
  }
});
