/**
 * Contract tests: the real `serf` 0.9 CLI against shoal's RPC server, backed by a serf instance
 * on a recording memberlist handle (no gossip peers).
 */
import assert from "node:assert/strict";
import { seededPrng, systemClock } from "../../lib/clock.ts";
import { MemoryLogger } from "../../lib/log/logger.ts";
import { Serf } from "../../lib/serf/serf.ts";
import { RpcServer } from "../../lib/serf/rpc/server.ts";
import type { SerfEvent } from "../../lib/serf/events.ts";
import { nodeInfo, RecordingHandle } from "../_support/serf_harness.ts";
import { requireSerfBinary, serfCli } from "../_support/serf_cli.ts";

async function withServer(fn: (addr: string, serf: Serf, events: SerfEvent[]) => Promise<void>) {
  await requireSerfBinary();
  const log = new MemoryLogger();
  const tags = new Map([["role", "web"], ["dc", "lab"]]);
  const serf = new Serf({ nodeName: "a", tags }, { clock: systemClock, prng: seededPrng(7), log });
  serf.attach(new RecordingHandle(nodeInfo("a", 7946, Object.fromEntries(tags))));
  serf.notifyJoin(nodeInfo("b", 7947, { role: "db", dc: "lab" }));
  const events: SerfEvent[] = [];
  serf.subscribe((e) => events.push(e));
  const server = RpcServer.listen({ serf, log, port: 0 });
  try {
    await fn(`127.0.0.1:${server.addr.port}`, serf, events);
  } finally {
    await server.close();
    serf.shutdown();
  }
}

Deno.test("serf members (real CLI) lists our members with addresses, status and tags", async () => {
  await withServer(async (addr) => {
    const r = await serfCli("members", addr);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n").map((l) => l.trim().split(/\s+/));
    const a = lines.find((l) => l[0] === "a")!;
    assert.deepEqual(a.slice(0, 3), ["a", "127.0.0.1:7946", "alive"]);
    assert.deepEqual(a[3]!.split(",").sort(), ["dc=lab", "role=web"]);
    assert.ok(lines.some((l) => l[0] === "b" && l[1] === "127.0.0.1:7947"));
    const filtered = await serfCli("members", addr, ["-tag", "role=d."]);
    assert.deepEqual(filtered.stdout.trim().split("\n").map((l) => l.split(/\s+/)[0]), ["b"]);
  });
});

Deno.test("serf members -format=json (real CLI) decodes our Member records", async () => {
  await withServer(async (addr) => {
    const r = await serfCli("members", addr, ["-format=json", "-detailed"]);
    assert.equal(r.code, 0, r.stderr);
    const { members } = JSON.parse(r.stdout) as {
      members: {
        name: string;
        addr: string;
        port: number;
        status: string;
        tags: Record<string, string>;
        protocol: Record<string, number>;
      }[];
    };
    const a = members.find((m) => m.name === "a")!;
    assert.equal(a.addr, "127.0.0.1:7946");
    assert.equal(a.status, "alive");
    assert.deepEqual(a.tags, { role: "web", dc: "lab" });
    assert.deepEqual(a.protocol, { max: 5, min: 2, version: 5 });
  });
});

Deno.test("serf event (real CLI) sends a user event through our serf", async () => {
  await withServer(async (addr, serf, events) => {
    const r = await serfCli("event", addr, ["deploy", "v42"]);
    assert.equal(r.code, 0, r.stderr);
    const ev = events.find((e) => e.type === "user");
    assert.ok(ev && ev.type === "user");
    assert.equal(ev.name, "deploy");
    assert.equal(new TextDecoder().decode(ev.payload), "v42");
    assert.equal(serf.stats().eventQueue, 1, "queued for gossip");
    const big = await serfCli("event", addr, ["big", "x".repeat(600)]);
    assert.notEqual(big.code, 0);
    assert.match(big.stdout + big.stderr, /exceeds the limit of 512 bytes/);
  });
});

Deno.test("serf query (real CLI) gets our ack and response, done at the deadline as the agent does", async () => {
  await withServer(async (addr, serf) => {
    serf.subscribe((e) => {
      if (e.type === "query") {
        e.respond(new TextEncoder().encode(`pong:${new TextDecoder().decode(e.payload)}`));
      }
    });
    for (const i of [1, 2, 3]) {
      const start = performance.now();
      const r = await serfCli("query", addr, [
        "-tag",
        "role=we.*",
        "-timeout=300ms",
        "hello",
        `x${i}`,
      ]);
      const tookMs = performance.now() - start;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Ack from 'a'/);
      assert.match(r.stdout, new RegExp(`Response from 'a': pong:x${i}`));
      assert.match(r.stdout, /Total Acks:\s+1/);
      assert.match(r.stdout, /Total Responses:\s+1/);
      assert.ok(tookMs >= 300 && tookMs < 5000, `took ${tookMs} ms`);
    }
    const none = await serfCli("query", addr, ["-node", "zz", "-timeout=200ms", "hello", "y"]);
    assert.match(none.stdout, /Total Acks:\s+0/);
  });
});

Deno.test("serf keys -list (real CLI) reports the cluster has no keyring", async () => {
  await withServer(async (addr) => {
    const r = await serfCli("keys", addr, ["-list"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /Keyring is empty \(encryption not enabled\)/);
  });
});

Deno.test("serf tags and force-leave (real CLI) act on our serf", async () => {
  await withServer(async (addr, serf) => {
    const t = await serfCli("tags", addr, ["-set", "zone=z1", "-delete", "dc"]);
    assert.equal(t.code, 0, t.stderr);
    assert.deepEqual(Object.fromEntries(serf.tags), { role: "web", zone: "z1" });
    serf.notifyLeave(nodeInfo("b", 7947));
    const f = await serfCli("force-leave", addr, ["b"]);
    assert.equal(f.code, 0, f.stderr);
    const m = await serfCli("members", addr, ["-status", "left"]);
    assert.match(m.stdout, /^b\s+127\.0\.0\.1:7947\s+left/);
  });
});

Deno.test("serf info (real CLI) reads our stats", async () => {
  await withServer(async (addr) => {
    const r = await serfCli("info", addr);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /members = 2/);
    // The sections and serf keys a serf agent reports.
    const json = await serfCli("info", addr, ["-format=json"]);
    const stats = JSON.parse(json.stdout) as Record<string, Record<string, string>>;
    assert.deepEqual(Object.keys(stats).sort(), [
      "agent",
      "event_handlers",
      "runtime",
      "serf",
      "tags",
    ]);
    for (const key of ["coordinate_resets", "health_score", "member_time", "encrypted"]) {
      assert.ok(key in stats.serf!, `serf.${key} in ${json.stdout}`);
    }
    assert.equal(stats.serf!.health_score, "0");
    assert.match(stats.runtime!.cpu_count!, /^\d+$/);
  });
});

/** Connects to `port` `count` times and resets each connection at once (SO_LINGER 0). */
function resetConnections(port: number, count: number): void {
  // Synchronous on purpose: our event loop is blocked while the clients come and go, so each
  // reset connection is still waiting in the accept queue when the server gets to it.
  const script = [
    "import socket, struct, sys",
    "for _ in range(int(sys.argv[2])):",
    "    s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))",
    "    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))",
    "    s.close()",
  ].join("\n");
  const r = new Deno.Command("python3", { args: ["-c", script, String(port), String(count)] })
    .outputSync();
  assert.ok(r.success, new TextDecoder().decode(r.stderr));
}

Deno.test("serf members still works after clients reset their connections before accept", async () => {
  await withServer(async (addr) => {
    resetConnections(Number(addr.split(":")[1]), 20);
    await new Promise((r) => setTimeout(r, 100)); // the server meets the reset connections
    const r = await serfCli("members", addr);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^a\s/m);
  });
});
