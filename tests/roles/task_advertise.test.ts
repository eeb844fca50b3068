import { deepStrictEqual, rejects } from "node:assert/strict";
import { AdvertiseError, chooseAdvertise } from "../../lib/roles/task/advertise.ts";

const ANY = { host: "0.0.0.0", port: 7946 };

/** A local HTTP server playing the documented ECS and IMDS endpoints. */
function metadataServer(opts: { ecsMode?: string; imds?: boolean }) {
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const url = new URL(req.url);
    seen.push(`${req.method} ${url.pathname}`);
    if (url.pathname === "/v4/container" && opts.ecsMode) {
      return Response.json({
        DockerId: "ea32192c8553fbff06c9340478a2ff089b2bb5646fb718b4ee206641c9086d66",
        Name: "curl",
        Networks: [{ NetworkMode: opts.ecsMode, IPv4Addresses: ["10.0.2.106"] }],
      });
    }
    if (url.pathname === "/latest/api/token" && req.method === "PUT" && opts.imds) {
      return new Response("TOKEN-1");
    }
    if (url.pathname === "/latest/meta-data/local-ipv4" && opts.imds) {
      return req.headers.get("X-aws-ec2-metadata-token") === "TOKEN-1"
        ? new Response("10.1.2.3")
        : new Response("unauthorized", { status: 401 });
    }
    return new Response("no", { status: 404 });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  return { server, base, seen };
}

function deps(
  env: Record<string, string>,
  ifaces = [{ family: "IPv4" as const, address: "192.0.2.7", name: "eth0" }],
) {
  return { env: (n: string) => env[n], fetch, interfaces: () => ifaces, timeoutMs: 500 };
}

Deno.test("chooseAdvertise() prefers --advertise, then a specific --bind address", async () => {
  const d = deps({});
  deepStrictEqual(
    await chooseAdvertise({ advertise: { host: "10.9.9.9", port: 1 }, bind: ANY }, d),
    { host: "10.9.9.9", source: "flag" },
  );
  deepStrictEqual(
    await chooseAdvertise({ advertise: null, bind: { host: "127.0.0.3", port: 1 } }, d),
    { host: "127.0.0.3", source: "bind" },
  );
});

Deno.test("chooseAdvertise() reads an awsvpc task's address from ECS metadata v4", async () => {
  const m = metadataServer({ ecsMode: "awsvpc" });
  try {
    const c = await chooseAdvertise(
      { advertise: null, bind: ANY },
      deps({
        ECS_CONTAINER_METADATA_URI_V4: `${m.base}/v4/container`,
        AWS_EC2_METADATA_DISABLED: "true",
      }),
    );
    deepStrictEqual(c, { host: "10.0.2.106", source: "ecs" });
  } finally {
    await m.server.shutdown();
  }
});

Deno.test("chooseAdvertise() falls back to IMDSv2 with a token, then to an interface", async () => {
  const m = metadataServer({ ecsMode: "bridge", imds: true });
  try {
    const env = {
      ECS_CONTAINER_METADATA_URI_V4: `${m.base}/v4/container`,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: m.base,
    };
    deepStrictEqual(await chooseAdvertise({ advertise: null, bind: ANY }, deps(env)), {
      host: "10.1.2.3",
      source: "imds",
    });
    deepStrictEqual(m.seen, [
      "GET /v4/container",
      "PUT /latest/api/token",
      "GET /latest/meta-data/local-ipv4",
    ]);
  } finally {
    await m.server.shutdown();
  }
  const none = metadataServer({});
  try {
    const env = { AWS_EC2_METADATA_SERVICE_ENDPOINT: none.base };
    deepStrictEqual(await chooseAdvertise({ advertise: null, bind: ANY }, deps(env)), {
      host: "192.0.2.7",
      source: "interface",
    });
    await rejects(
      () => chooseAdvertise({ advertise: null, bind: ANY }, deps(env, [])),
      AdvertiseError,
    );
  } finally {
    await none.server.shutdown();
  }
});
