/**
 * Gossip-level interop: shoal's serf on shoal's memberlist (lib/gossip) against a real
 * `serf agent` 0.9 on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { seededPrng, systemClock } from "../../lib/clock.ts";
import { gossipConfig } from "../../lib/gossip/config.ts";
import { DenoTransport } from "../../lib/gossip/deno_transport.ts";
import { createGossipNode } from "../../lib/gossip/node.ts";
import { MemoryLogger } from "../../lib/log/logger.ts";
import { Serf } from "../../lib/serf/serf.ts";
import { MemberStatus } from "../../lib/serf/members.ts";
import type { SerfEvent } from "../../lib/serf/events.ts";
import { startSerfAgent } from "../_support/serf_agent.ts";
import { waitFor } from "../_support/wait.ts";
import { serfCli } from "../_support/serf_cli.ts";

const te = new TextEncoder();
const td = new TextDecoder();

Deno.test("interop: shoal serf joins a real serf agent, exchanges events and queries, leaves gracefully", async () => {
  const agent = await startSerfAgent("real", {
    tags: { role: "db" },
    handlers: ["query:hello=cat"],
  });
  const log = new MemoryLogger();
  const serf = new Serf(
    { nodeName: "shoal", tags: new Map([["role", "web"]]) },
    { clock: systemClock, prng: seededPrng(11), log },
  );
  const transport = DenoTransport.listen({ bind: { host: "127.0.0.1", port: 0 } });
  const node = createGossipNode({
    name: "shoal",
    transport,
    config: gossipConfig("local"),
    delegate: serf,
    events: serf,
    conflict: serf,
    clock: systemClock,
    prng: seededPrng(12),
    logger: log,
  });
  const events: SerfEvent[] = [];
  serf.subscribe((e) => events.push(e));
  serf.subscribe((e) => {
    if (e.type === "query" && e.name === "hi") {
      e.respond(te.encode(`shoal:${td.decode(e.payload)}`));
    }
  });
  try {
    node.start();
    serf.attach(node);
    assert.equal(await serf.join([`127.0.0.1:${agent.bindPort}`]), 1);

    // Both sides see each other, with tags.
    await waitFor("real agent lists shoal alive", async () => {
      const r = await serfCli("members", agent.rpcAddr, ["-status", "alive"]);
      return /^shoal\s+127\.0\.0\.1:\d+\s+alive\s+role=web/m.test(r.stdout);
    });
    const real = serf.members().find((m) => m.name === "real");
    assert.equal(real?.status, MemberStatus.Alive);
    assert.equal(real?.tags.get("role"), "db");

    // A user event from the real agent reaches us.
    assert.equal((await serfCli("event", agent.rpcAddr, ["deploy", "v7"])).code, 0);
    await waitFor(
      "user event from the agent",
      () => events.some((e) => e.type === "user" && e.name === "deploy"),
    );

    // Our query, filtered to role=db: the real agent acks and answers through its `cat` handler,
    // and the collector ends as soon as that only expected responder answered.
    const started = performance.now();
    const q = serf.query("hello", te.encode("ping-1"), {
      requestAck: true,
      timeoutMs: 5000,
      filterTags: new Map([["role", "d."]]),
    });
    assert.deepEqual([...q.expected], ["real"]);
    const result = await q.done();
    assert.ok(result.endedEarly && performance.now() - started < 4000);
    assert.ok(result.acks.includes("real"), `acks ${result.acks}`);
    const fromReal = result.responses.find((r) => r.from === "real");
    assert.equal(fromReal && td.decode(fromReal.payload).trim(), "ping-1");

    // A query from the real agent's CLI reaches us and our response gets back.
    const cli = await serfCli("query", agent.rpcAddr, ["-timeout=2s", "hi", "yo"]);
    assert.match(cli.stdout, /Ack from 'shoal'/);
    assert.match(cli.stdout, /Response from 'shoal': shoal:yo/);

    // Tag changes travel both ways as member-update.
    assert.equal((await serfCli("tags", agent.rpcAddr, ["-set", "zone=z9"])).code, 0);
    await waitFor(
      "agent's new tag",
      () => serf.members().some((m) => m.name === "real" && m.tags.get("zone") === "z9"),
    );
    assert.ok(events.some((e) => e.type === "member-update" && e.members[0]?.name === "real"));
    serf.setTags(new Map([["role", "web"], ["zone", "z1"]]));
    await waitFor("our new tag on the agent", async () => {
      const r = await serfCli("members", agent.rpcAddr, ["-tag", "zone=z1"]);
      return /^shoal\s/m.test(r.stdout);
    });

    // Graceful leave: the agent sees us as left.
    await serf.leave();
    await waitFor("real agent lists shoal left", async () => {
      const r = await serfCli("members", agent.rpcAddr, ["-status", "left"]);
      return /^shoal\s/m.test(r.stdout);
    });
  } finally {
    serf.shutdown();
    await node.shutdown();
    await agent.stop();
  }
});
