/**
 * GossipRuntime embedded in the test process, with a real serf agent as the peer: what a Go shoal
 * task does (`serf query -tag role=sidecar announce <protobuf bytes>`) must reach us byte for byte.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { systemClock } from "../../lib/clock.ts";
import type { GossipConfig } from "../../lib/config.ts";
import { MemoryLogger } from "../../lib/log/logger.ts";
import {
  AnnounceRequestSchema,
  AnnounceResponseSchema,
  decodePayload,
  encodePayload,
} from "../../lib/proto.ts";
import { DEAD_NODE_RECLAIM_MS, GossipRuntime } from "../../lib/roles/gossip_runtime.ts";
import { MemberStatus, type QueryEvent } from "../../lib/serf/mod.ts";
import { freePort, startSerfAgent, waitFor } from "../_support/serf_agent.ts";
import { serfBinary } from "../_support/serf_cli.ts";
import { denoGossipHost } from "../../lib/roles/gossip_runtime_host.ts";

function gossipConfig(node: string, host: string, port: number): GossipConfig {
  return {
    node,
    bind: { host, port },
    advertise: null,
    join: [],
    tags: new Map([["role", "sidecar"]]),
    encryptKey: null,
    rpcAddr: null,
    rpcAuth: null,
    snapshotDir: null,
    profile: "lan",
    reconnectTimeoutMs: 600_000,
    tombstoneTimeoutMs: 600_000,
    metricsAddr: null,
  };
}

Deno.test("a serf CLI query with raw protobuf bytes reaches shoal intact and gets a protobuf answer", async () => {
  const runtime = await GossipRuntime.start(gossipConfig("embedded", "127.0.0.7", freePort()), {
    ...denoGossipHost,
    logger: new MemoryLogger(),
    clock: systemClock,
    prng: Math.random,
  });
  const agent = await startSerfAgent("go-task", { tags: { role: "task" } });
  const seen: QueryEvent[] = [];
  const unsubscribe = runtime.serf.subscribe((e) => {
    if (e.type !== "query" || e.name !== "announce") return;
    seen.push(e);
    e.respond(encodePayload(AnnounceResponseSchema, { accepted: true, reason: "", server: "s" }));
  });
  try {
    equal(await runtime.join([`127.0.0.1:${agent.bindPort}`]), 1);
    // AnnounceRequest{port: 8080, backend: "web", state: "ready"}: bytes 0x90 and 0x3f are not UTF-8
    // text on their own, so printf (octal escapes) puts the raw bytes in argv as a Go program would.
    const expected = encodePayload(AnnounceRequestSchema, {
      port: 8080,
      backend: "web",
      state: "ready",
    });
    const printf = [...expected].map((b) => `\\${b.toString(8).padStart(3, "0")}`).join("");
    const out = await new Deno.Command("sh", {
      args: [
        "-c",
        `${serfBinary()} query -rpc-addr=${agent.rpcAddr} -tag role=sidecar -format=json announce "$(printf '${printf}')"`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    equal(out.code, 0, new TextDecoder().decode(out.stderr));
    await waitFor("query delivered", () => seen.length > 0);
    deepStrictEqual(seen[0]!.payload, expected);
    equal(seen[0]!.sourceNode, "go-task");
    const answer = JSON.parse(new TextDecoder().decode(out.stdout));
    const body = answer.Responses?.embedded ?? answer.responses?.embedded;
    ok(body !== undefined, JSON.stringify(answer));
    ok(decodePayload(AnnounceResponseSchema, new TextEncoder().encode(body)).accepted);
  } finally {
    unsubscribe();
    await runtime.close();
    await agent.stop();
  }
});

Deno.test("a peer that stops answering is suspected by memberlist, while serf still reports it alive", async () => {
  const host = {
    ...denoGossipHost,
    logger: new MemoryLogger(),
    clock: systemClock,
    prng: Math.random,
  };
  const port = freePort();
  const a = await GossipRuntime.start(gossipConfig("a", "127.0.93.1", port), host);
  const b = await GossipRuntime.start(gossipConfig("b", "127.0.93.2", freePort()), host);
  const heard: { name: string; suspected: string[]; serf: MemberStatus | undefined }[] = [];
  const undo = a.onSuspect((name) =>
    heard.push({
      name,
      suspected: [...a.suspected()],
      serf: a.serf.members().find((m) => m.name === name)?.status,
    })
  );
  try {
    equal(await b.join([`127.0.93.1:${port}`]), 1);
    await waitFor("a knows b", () => a.serf.members().some((m) => m.name === "b"));
    deepStrictEqual([...a.suspected()], []);
    await b.close(); // no leave: a's probes go unanswered
    await waitFor("a suspects b", () => heard.length > 0, { timeoutMs: 15_000 });
    deepStrictEqual(heard[0], { name: "b", suspected: ["b"], serf: MemberStatus.Alive });
  } finally {
    undo();
    await a.close();
    await b.close();
  }
});

Deno.test("a real serf agent restarted under its name at a new address is alive there once its dead name may move", async () => {
  // sim seed 86 --mistakes: a dead entry must not hold a name for the 30 s until it is reaped,
  // or the member living at the new address is a conflict that long (out of rotation)
  const port = freePort();
  const runtime = await GossipRuntime.start(gossipConfig("sc", "127.0.94.1", port), {
    ...denoGossipHost,
    logger: new MemoryLogger(),
    clock: systemClock,
    prng: Math.random,
  });
  const first = await startSerfAgent("restarted", { tags: { role: "task" } });
  let second: Awaited<ReturnType<typeof startSerfAgent>> | undefined;
  const status = () => runtime.serf.members().find((m) => m.name === "restarted");
  try {
    equal(await runtime.join([`127.0.0.1:${first.bindPort}`]), 1);
    await first.stop(); // SIGKILL: no leave
    await waitFor("the agent failed", () => status()?.status === MemberStatus.Failed, {
      timeoutMs: 20_000,
    });
    await new Promise((r) => setTimeout(r, DEAD_NODE_RECLAIM_MS + 300));
    second = await startSerfAgent("restarted", {
      tags: { role: "task" },
      extraArgs: [`-join=127.0.94.1:${port}`],
    });
    const at = second.bindPort;
    await waitFor(
      `alive at the new port ${at}`,
      () => status()?.status === MemberStatus.Alive && status()?.port === at,
      { timeoutMs: 5_000 },
    );
  } finally {
    await runtime.close();
    await first.stop();
    await second?.stop();
  }
});
