import assert from "node:assert/strict";
import {
  createSidecarMetrics,
  type GossipMetricsSource,
  type HealthStatus,
  MetricsServerError,
  registerGossipMetrics,
  Registry,
  serveMetrics,
} from "../../lib/metrics/mod.ts";
import { parsePromText } from "../_support/prom_text.ts";

function gossipSnapshot(): GossipMetricsSource {
  return {
    probes: 10,
    probeFailures: 1,
    indirectProbes: 2,
    suspicionsStarted: 1,
    refutations: 0,
    deathsDeclared: 0,
    packetsIn: 40,
    packetsOut: 41,
    bytesIn: 4000,
    bytesOut: 4100,
    dropped: { bad_crc: 2, 'weird"reason\n': 1 },
    streamsRefused: 0,
    queueBroadcasts: 3,
    pendingAcks: 1,
    suspicions: 1,
    activeStreams: 0,
    nodes: 4,
    membersByStatus: { alive: 4, failed: 0, left: 0 },
    healthScore: 0,
  };
}

function populatedRegistry(nowMs: { value: number }): Registry {
  const registry = new Registry();
  const sidecar = createSidecarMetrics(registry, { clock: { nowMs: () => nowMs.value } });
  sidecar.members.set({ status: "alive" }, 4);
  sidecar.servers.set({ backend: "web", state: "ready" }, 3);
  sidecar.queries.inc({ query: "announce", result: "accepted" });
  for (const s of [0.002, 0.02, 0.2, 40]) sidecar.queryDuration.observe({ query: "announce" }, s);
  sidecar.queryDuration.observe({ query: "depart" }, 1.5);
  sidecar.haproxyContacted(1000);
  registerGossipMetrics(registry, gossipSnapshot);
  return registry;
}

async function get(url: string, init?: RequestInit): Promise<[Response, string]> {
  const res = await fetch(url, init);
  return [res, await res.text()];
}

Deno.test("serveMetrics() serves a parseable /metrics over real HTTP", async () => {
  const now = { value: 3500 };
  const server = serveMetrics({
    addr: { host: "127.0.0.1", port: 0 },
    registry: populatedRegistry(now),
    health: () => ({ ok: true, reason: "" }),
  });
  try {
    assert.equal(server.addr.host, "127.0.0.1");
    assert.ok(server.addr.port > 0);
    const [res, body] = await get(`http://127.0.0.1:${server.addr.port}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const families = parsePromText(body);
    for (const name of families.keys()) assert.match(name, /^shoal_/);
    const announce = families.get("shoal_sidecar_query_duration_seconds")!;
    assert.equal(announce.type, "histogram");
    const count = announce.samples.find((s) =>
      s.name.endsWith("_count") && s.labels.get("query") === "announce"
    );
    assert.equal(count?.value, 4);
    const age = families.get("shoal_sidecar_haproxy_contact_age_seconds")!.samples[0]!;
    assert.equal(age.value, 2.5);
    const dropped = families.get("shoal_gossip_dropped_packets_total")!.samples;
    assert.deepEqual(dropped.map((s) => [s.labels.get("reason"), s.value]), [
      ["bad_crc", 2],
      ['weird"reason\n', 1],
    ]);
  } finally {
    await server.close();
  }
});

Deno.test("serveMetrics() answers /healthz 200 ok or 503 with the reason", async () => {
  let health: HealthStatus = { ok: true, reason: "" };
  const server = serveMetrics({
    addr: { host: "127.0.0.1", port: 0 },
    registry: new Registry(),
    health: () => health,
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    let [res, body] = await get(`${base}/healthz`);
    assert.deepEqual([res.status, body], [200, "ok\n"]);
    health = { ok: false, reason: "haproxy socket unreachable\nsince 10s" };
    [res, body] = await get(`${base}/healthz?verbose=1`);
    assert.deepEqual([res.status, body], [503, "haproxy socket unreachable since 10s\n"]);
    [res, body] = await get(`${base}/`);
    assert.equal(res.status, 404);
    [res, body] = await get(`${base}/metrics`, { method: "POST", body: "x" });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "GET");
  } finally {
    await server.close();
  }
});

Deno.test("serveMetrics() reports a throwing health callback as 503", async () => {
  const server = serveMetrics({
    addr: { host: "127.0.0.1", port: 0 },
    registry: new Registry(),
    health: () => {
      throw new Error("boom");
    },
  });
  try {
    const [res, body] = await get(`http://127.0.0.1:${server.addr.port}/healthz`);
    assert.equal(res.status, 503);
    assert.match(body, /boom/);
  } finally {
    await server.close();
  }
});

Deno.test("serveMetrics() turns a port already in use into MetricsServerError", async () => {
  const first = serveMetrics({
    addr: { host: "127.0.0.1", port: 0 },
    registry: new Registry(),
    health: () => ({ ok: true, reason: "" }),
  });
  try {
    let caught: unknown;
    try {
      serveMetrics({
        addr: { host: "127.0.0.1", port: first.addr.port },
        registry: new Registry(),
        health: () => ({ ok: true, reason: "" }),
      });
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof MetricsServerError, String(caught));
    assert.equal(caught.addr, `127.0.0.1:${first.addr.port}`);
    assert.ok(caught.cause instanceof Deno.errors.AddrInUse);
    assert.match(caught.message, /^Cannot serve metrics on 127\.0\.0\.1:\d+: /);
  } finally {
    await first.close();
  }
});

Deno.test("MetricsServer.close() stops accepting connections", async () => {
  const server = serveMetrics({
    addr: { host: "127.0.0.1", port: 0 },
    registry: new Registry(),
    health: () => ({ ok: true, reason: "" }),
  });
  const url = `http://127.0.0.1:${server.addr.port}/healthz`;
  await get(url);
  await server.close();
  await assert.rejects(() => fetch(url));
});
