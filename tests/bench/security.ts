/**
 * `deno task bench:security`: each attack of issue 13 against a fresh `shoal agent` on loopback,
 * with the figures BENCHMARKS.md records: CPU seconds the attacked node used, its RSS before and
 * at the peak, and whether new nodes (3 per attack) joined through it while under attack.
 *
 * @module
 */

import { MessageType, SHOAL_VSN } from "../../lib/gossip/wire/mod.ts";
import { encodeMessage, encodePacket } from "../../lib/gossip/wire/mod.ts";
import { QUERY_FLAG_NO_BROADCAST, SerfMessageType } from "../../lib/serf/messages.ts";
import { encodeSerfMessage } from "../../lib/serf/messages.ts";
import {
  alivePacket,
  cpuSeconds,
  type ForgeTarget,
  holdStreams,
  pushPullFrame,
  rssMiB,
  sendStream,
  sendUdp,
  serfPacket,
  startTarget,
  userMessage,
} from "../_support/forge.ts";
import { serfCli } from "../_support/serf_cli.ts";

const POISON = 2 ** 53 - 2;

async function paced(t: ForgeTarget, packets: Uint8Array[], burst: number): Promise<void> {
  for (let i = 0; i < packets.length; i += burst) {
    await sendUdp(t, packets.slice(i, i + burst));
    await new Promise((r) => setTimeout(r, 2));
  }
}

function nested(type: number, outer: number, inner: number): Uint8Array {
  const head = [type, 0xdc, outer >> 8, outer & 255];
  const out = new Uint8Array(head.length + outer * (3 + inner)).fill(0x90);
  out.set(head);
  for (let i = 0; i < outer; i++) out.set([0xdc, inner >> 8, inner & 255], 4 + i * (3 + inner));
  return out;
}

/** The attacks; each resolves when it has been sent (held ones return a release). */
const ATTACKS: Record<string, (t: ForgeTarget) => Promise<(() => Promise<void>) | void>> = {
  "lamport 2^53-2 (event, query, intent, push/pull)": async (t) => {
    const base = { addr: new Uint8Array([127, 0, 0, 9]), port: 9, sourceNode: "ghost" };
    await sendUdp(t, [
      serfPacket({
        type: SerfMessageType.UserEvent,
        lTime: POISON,
        name: "p",
        payload: null,
        cc: false,
      }),
      serfPacket({
        type: SerfMessageType.Query,
        lTime: POISON,
        id: 1,
        ...base,
        filters: [],
        flags: QUERY_FLAG_NO_BROADCAST,
        relayFactor: 0,
        timeoutNs: 1e9,
        name: "p",
        payload: null,
      }),
      serfPacket({ type: SerfMessageType.Join, lTime: POISON, node: "ghost" }),
    ]);
    const state = encodeSerfMessage({
      type: SerfMessageType.PushPull,
      lTime: POISON,
      statusLTimes: new Map(),
      leftMembers: [],
      eventLTime: POISON,
      events: [],
      queryLTime: POISON,
    });
    await sendStream(t, pushPullFrame([], state), 500);
  },
  "alive with Meta ff c1": async (t) => {
    await sendUdp(t, [alivePacket("ghost", { port: 9, meta: new Uint8Array([0xff, 0xc1]) })]);
  },
  "200 user events of 60 KB": async (t) => {
    const payload = new Uint8Array(60_000);
    const packets = Array.from(
      { length: 200 },
      (_, i) =>
        serfPacket({
          type: SerfMessageType.UserEvent,
          lTime: i + 1,
          name: "big",
          payload,
          cc: false,
        }),
    );
    await paced(t, packets, 1);
  },
  "6.6 MB nested arrays trickled (compress frame)": async (t) => {
    await sendStream(t, nested(MessageType.Compress, 1000, 6600), 5000);
  },
  "1500 LZW bombs (1.9 KB -> 1 MB)": async (t) => {
    const bomb = encodePacket([userMessage(new Uint8Array(1024 * 1024 - 64))]);
    await paced(t, Array.from({ length: 1500 }, () => bomb), 3);
  },
  "20 000 invented members": async (t) => {
    const packets = Array.from({ length: 1000 }, (_, p) =>
      encodePacket(
        Array.from({ length: 20 }, (_, i) =>
          encodeMessage({
            type: MessageType.Alive,
            incarnation: 1,
            node: `ghost-${p * 20 + i}`,
            addr: new Uint8Array([127, 0, 0, 9]),
            port: 10_000 + ((p * 20 + i) % 50_000),
            meta: new Uint8Array(0),
            vsn: new Uint8Array(SHOAL_VSN),
          })),
        { compress: false },
      ));
    await paced(t, packets, 20);
  },
  "200 stalled push/pulls from one host": async (t) => {
    const held = await holdStreams(t, { n: 200, src: "127.0.0.9", firstHex: "06" });
    return () => held.stop();
  },
  "16 streams sending 8 MiB of a declared 15.9 MiB compress frame": async (t) => {
    // {Algo: 0, Buf: bin32 of 15.9 MiB}: within the 16 MiB frame limit, never completed
    const n = 16_670_000;
    const te = new TextEncoder();
    const head = new Uint8Array([
      MessageType.Compress,
      0x82,
      0xa4,
      ...te.encode("Algo"),
      0x00,
      0xa3,
      ...te.encode("Buf"),
      0xc6,
      n >>> 24,
      (n >>> 16) & 255,
      (n >>> 8) & 255,
      n & 255,
    ]);
    const body = new Uint8Array(8 * 1024 * 1024);
    const conns = await Promise.all(
      Array.from({ length: 16 }, () => Deno.connect({ hostname: t.host, port: t.port })),
    );
    await Promise.all(conns.map(async (c) => {
      await c.write(head).catch(() => 0);
      for (let at = 0; at < body.length; at += 64 * 1024) {
        if ((await c.write(body.subarray(at, at + 64 * 1024)).catch(() => -1)) < 0) return;
      }
    }));
    return () => Promise.resolve(conns.forEach((c) => c.close()));
  },
  "16 idle RPC connections": async (t) => {
    const at = t.rpcAddr.lastIndexOf(":");
    const to = { hostname: t.rpcAddr.slice(0, at), port: Number(t.rpcAddr.slice(at + 1)) };
    const conns = await Promise.all(Array.from({ length: 16 }, () => Deno.connect(to)));
    return () => Promise.resolve(conns.forEach((c) => c.close()));
  },
};

interface Row {
  attack: string;
  cpuS: number;
  rssBeforeMiB: number;
  rssPeakMiB: number;
  joins: string;
  rpc: string;
  members: number;
}

async function run(name: string, attack: (t: ForgeTarget) => Promise<unknown>): Promise<Row> {
  const t = await startTarget("bench-sec");
  const extra: ForgeTarget[] = [];
  try {
    const rssBefore = rssMiB(t.proc.pid);
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(t.proc.pid))), 100);
    const cpu0 = cpuSeconds(t.proc.pid);
    const release = await attack(t);
    let joined = 0;
    for (let i = 0; i < 3; i++) {
      const j = await startTarget(`bench-join-${i}`, ["--join", `${t.host}:${t.port}`]).catch(
        () => null,
      );
      if (j) (joined++, extra.push(j));
    }
    const rpc = await serfCli("members", t.rpcAddr, [], 5000);
    const ev = await serfCli("event", t.rpcAddr, ["bench", "x"], 5000);
    const cpu = cpuSeconds(t.proc.pid) - cpu0;
    clearInterval(sampler);
    if (typeof release === "function") await release();
    return {
      attack: name,
      cpuS: cpu,
      rssBeforeMiB: rssBefore,
      rssPeakMiB: peak,
      joins: `${joined}/3`,
      rpc: rpc.code === 0 && ev.code === 0 ? "ok" : `members ${rpc.code}, event ${ev.code}`,
      members: rpc.stdout.trim().split("\n").length,
    };
  } finally {
    for (const p of extra) await p.proc.stop();
    await t.proc.stop();
  }
}

if (import.meta.main) {
  console.log("| attack | CPU s | RSS before → peak MiB | joins | members | RPC members + event |");
  console.log("| --- | ---: | ---: | ---: | ---: | --- |");
  const only = Deno.env.get("SHOAL_BENCH_ONLY") ?? "";
  for (const [name, attack] of Object.entries(ATTACKS)) {
    if (!name.includes(only)) continue;
    const r = await run(name, attack);
    console.log(
      `| ${r.attack} | ${r.cpuS.toFixed(2)} | ${r.rssBeforeMiB.toFixed(0)} → ${
        r.rssPeakMiB.toFixed(0)
      } | ${r.joins} | ${r.members} | ${r.rpc} |`,
    );
  }
}
