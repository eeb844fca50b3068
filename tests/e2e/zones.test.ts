/**
 * End to end: zone-aware routing and per-backend server options.
 *
 * - A `--zone a` sidecar adds its zone's tasks as normal servers and the others as `backup`:
 *   traffic stays in zone a, fails over to zone b when the zone-a task crashes, and comes back
 *   when a new zone-a task registers (its zone read from a fake ECS task metadata endpoint).
 * - `--server-options shoal=send-proxy-v2` reaches a worker that parses the PROXY v2 header;
 *   an option HAProxy refuses stops the sidecar at start with HAProxy's own message.
 *
 * Addresses: 127.90.22.x.
 */

import { equal, match, ok } from "node:assert/strict";
import type { RuntimeClient } from "../../lib/haproxy/client.ts";
import { waitFor } from "../_support/wait.ts";
import { Cluster, killTree, Load, serverOf, servers, SLOT_MODE } from "../_support/cluster_e2e.ts";
import { startSidecar, startTasksUp, writeFrontendConfig } from "../_support/e2e_setup.ts";
import { startShoal } from "../_support/shoal_process.ts";
import { haproxyBinary } from "../_support/haproxy.ts";

const PROXY_WORKER = new URL("../_support/workers/proxy_worker.ts", import.meta.url).pathname;

/** Tasks that answered a short load through `url` (every request must succeed). */
async function answering(url: string): Promise<Set<string>> {
  const load = new Load(url, { ratePerS: 50, maxMs: 400 });
  await load.finished();
  equal(load.failures().length, 0, JSON.stringify(load.failures().slice(0, 3)));
  return new Set(load.byTask().keys());
}

/** A fake ECS task metadata endpoint on loopback: `GET <base>/task` names the zone. */
function fakeEcsMetadata(host: string, zone: string): Deno.HttpServer {
  return Deno.serve({ hostname: host, port: 0, onListen: () => {} }, (req) => {
    if (new URL(req.url).pathname !== "/v4/task") return new Response("no", { status: 404 });
    return Response.json({ Cluster: "test", AvailabilityZone: zone });
  });
}

Deno.test("e2e: a zone-a sidecar keeps traffic in zone a, fails over to b, and comes back", async () => {
  const setup = await startSidecar("127.90.22.1", {}, { extra: ["--zone=a"] });
  const meta = fakeEcsMetadata("127.90.22.9", "a");
  const { cluster, files, hap: reader, join } = setup;
  try {
    const zones = [{ extra: ["--zone=a"] }, { extra: ["--zone=b"] }, { env: { SHOAL_ZONE: "b" } }];
    const a1 = (await startTasksUp(setup, {
      names: ["a-1", "b-1", "b-2"],
      hostOf: (i) => `127.90.22.${11 + i}`,
      upWithinMs: 20_000,
      optionsOf: (i) => zones[i]!,
    }))[0]!;
    const rows = await servers(reader);
    const backup = (node: string) =>
      rows.find((r) => r.service === serverOf(node))?.fields.get("bck");
    equal(backup("a-1"), "0", "in-zone task is a normal server");
    equal(backup("b-1"), "1", "out-of-zone task is a backup server");
    equal(backup("b-2"), "1", "SHOAL_ZONE sets the zone too");
    equal([...await answering(files.url)].join(), "a-1", "all traffic stays in zone a");

    // The zone-a task crashes: zone b takes the traffic.
    killTree(a1.pid, "SIGKILL");
    await waitFor("a-1 out of service", async () => {
      const row = (await servers(reader)).find((r) => r.service === serverOf("a-1"));
      return row === undefined || !row.status.startsWith("UP");
    }, 20_000);
    const failover = await answering(files.url);
    ok(failover.size > 0 && [...failover].every((t) => t.startsWith("b-")), [...failover].join());

    // A new zone-a task (zone from the ECS task metadata) takes it back.
    const ecs = `http://127.90.22.9:${(meta.addr as Deno.NetAddr).port}/v4`;
    const a2 = await cluster.task({
      name: "a-2",
      host: "127.90.22.14",
      join,
      env: { ECS_CONTAINER_METADATA_URI_V4: ecs },
    });
    const zoneLine = await a2.waitForLog("task.zone");
    equal(zoneLine.zone, "a");
    equal(zoneLine.source, "ecs");
    await waitFor("a-2 UP", async () => {
      const row = (await servers(reader)).find((r) => r.service === serverOf("a-2"));
      return row?.status.startsWith("UP") === true && row.fields.get("bck") === "0";
    }, 20_000);
    equal([...await answering(files.url)].join(), "a-2", "traffic is back in zone a");
  } finally {
    await setup.stop();
    await meta.shutdown();
  }
});

/** UP servers of the backend, normal and backup (slot names: slot mode shows no task names). */
async function upServers(reader: RuntimeClient) {
  const up = (await servers(reader)).filter((r) => r.status.startsWith("UP"));
  return {
    normal: up.filter((r) => r.fields.get("bck") === "0").length,
    backup: up.filter((r) => r.fields.get("bck") === "1").length,
  };
}

Deno.test("e2e: slot mode with a backup template: zone a first, zone b as fallback, and back", async () => {
  const backupSlots = `${SLOT_MODE.backendLines[0]!.replace("shoal-slot ", "shoal-bslot ")} backup`;
  const setup = await startSidecar(
    "127.90.22.5",
    { ...SLOT_MODE, backendLines: [...SLOT_MODE.backendLines, backupSlots] },
    { extra: (files) => ["--zone=a", `--server-state-file=${files.dir}/server-state`] },
  );
  const { cluster, files, hap: reader, join, sidecar } = setup;
  try {
    const a1 = await cluster.task({ name: "a-1", host: "127.90.22.31", join, extra: ["--zone=a"] });
    await cluster.task({ name: "b-1", host: "127.90.22.32", join, extra: ["--zone=b"] });
    const one = (want: { normal: number; backup: number }) => async () => {
      const up = await upServers(reader);
      return up.normal === want.normal && up.backup === want.backup;
    };
    await waitFor("a-1 in a slot, b-1 in a backup slot", one({ normal: 1, backup: 1 }), 20_000);
    equal([...await answering(files.url)].join(), "a-1", "all traffic stays in zone a");
    equal(sidecar.logs().some((l) => l.event === "sidecar.zone.ignored"), false);

    killTree(a1.pid, "SIGKILL");
    await waitFor("a-1's slot out of service", one({ normal: 0, backup: 1 }), 20_000);
    equal([...await answering(files.url)].join(), "b-1", "zone b takes over");

    await cluster.task({ name: "a-2", host: "127.90.22.33", join, extra: ["--zone=a"] });
    await waitFor("a-2 UP in a slot", one({ normal: 1, backup: 1 }), 20_000);
    equal([...await answering(files.url)].join(), "a-2", "traffic is back in zone a");
  } finally {
    await setup.stop();
  }
});

Deno.test("e2e: --server-options send-proxy-v2 reaches a worker that parses the PROXY header", async () => {
  const setup = await startSidecar("127.90.22.2", {}, {
    extra: ["--server-options=shoal=send-proxy-v2 maxconn 50"],
  });
  const { files, hap: reader, web } = setup;
  try {
    await startTasksUp(setup, {
      names: ["p-1"],
      hostOf: () => "127.90.22.21",
      upWithinMs: 20_000,
      optionsOf: () => ({ worker: [Deno.execPath(), "run", "-A", PROXY_WORKER] }),
    });
    const res = await fetch(files.url, { headers: { connection: "close" } });
    const body = (await res.text()).trim();
    equal(res.status, 200, body);
    // The header carries the client's address and the frontend's, as HAProxy saw them.
    match(
      body,
      new RegExp(`^proxy-v2 src=127\\.0\\.0\\.1:\\d+ dst=${web.replaceAll(".", "\\.")} from p-1$`),
    );
    const row = (await servers(reader)).find((r) => r.service === serverOf("p-1"));
    equal(row?.fields.get("slim"), "50", "maxconn 50 applied");
  } finally {
    await setup.stop();
  }
});

Deno.test("e2e: an option HAProxy refuses stops the sidecar at start with HAProxy's message", async () => {
  const host = "127.90.22.3";
  const files = await writeFrontendConfig(host);
  const cluster = new Cluster();
  try {
    const proc = cluster.track(startShoal([
      "sidecar",
      "--node=sidecar",
      `--bind=${host}:0`,
      "--rpc-addr=",
      `--haproxy-socket=${files.socket}`,
      "--haproxy-backend=shoal",
      "--server-options=shoal=no-such-keyword 1",
      "--",
      haproxyBinary(),
      "-W",
      "-db",
      "-f",
      files.cfg,
    ]));
    equal((await proc.status).code, 1);
    const line = await proc.waitForLog("sidecar.haproxy.unusable");
    equal(line.reason, "options");
    match(String(line.error), /unknown keyword 'no-such-keyword'/);
  } finally {
    await cluster.stop();
    await Deno.remove(files.dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("e2e: a zone-a sidecar over a slot backend says zones are ignored there", async () => {
  const setup = await startSidecar("127.90.22.4", SLOT_MODE, {
    extra: (files) => ["--zone=a", `--server-state-file=${files.dir}/server-state`],
  });
  try {
    const line = await setup.sidecar.waitForLog("sidecar.zone.ignored");
    equal(line.backend, "shoal");
    match(String(line.reason), /slot/);
  } finally {
    await setup.stop();
  }
});
