/**
 * Attack: Lamport clock poisoning (issue 13, item 2). One user event, one query and one join
 * intent at LTime 2^53 - 2 from a host that never joined used to pin every clock at 2^53 - 1, so
 * nothing could be sent again; a push/pull did the same, snapshots kept the value and a node
 * refused to start from such a snapshot. Real `shoal agent` processes and a real serf agent.
 */
import { ok } from "node:assert/strict";
import { QUERY_FLAG_NO_BROADCAST, SerfMessageType } from "../../lib/serf/messages.ts";
import { encodeSerfMessage } from "../../lib/serf/messages.ts";
import { LTIME_AHEAD_MAX } from "../../lib/serf/lamport.ts";
import {
  type ForgeTarget,
  pushPullFrame,
  sendStream,
  sendUdp,
  serfInfo,
  serfPacket,
  startTarget,
} from "../_support/forge.ts";
import { freePort, type SerfAgent, startSerfAgent, waitFor } from "../_support/serf_agent.ts";
import { serfCli } from "../_support/serf_cli.ts";

const POISON = 2 ** 53 - 2;

function refusals(t: ForgeTarget): number {
  return t.proc.logs().filter((l) => l.event === "serf.lamport.refused").length;
}

async function poisoned(rpcAddr: string): Promise<boolean> {
  const i = await serfInfo(rpcAddr);
  return i !== null && Math.max(i.member, i.event, i.query) > LTIME_AHEAD_MAX;
}

async function assertHealthy(t: ForgeTarget): Promise<void> {
  const info = await serfInfo(t.rpcAddr);
  ok(info, "serf info answers");
  ok(Math.max(info.member, info.event, info.query) < LTIME_AHEAD_MAX, JSON.stringify(info));
  const ev = await serfCli("event", t.rpcAddr, ["after-poison", "x"]);
  ok(ev.code === 0, `serf event after the attack: ${ev.stdout}${ev.stderr}`);
}

Deno.test("forged event, query and join intent at 2^53-2 are refused, counted, never relayed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "shoal-sec-lamport-" });
  let serf: SerfAgent | undefined;
  let t: ForgeTarget | undefined;
  try {
    serf = await startSerfAgent("real-lamport");
    t = await startTarget("shoal-lamport", [
      "--join",
      `127.0.0.1:${serf.bindPort}`,
      "--snapshot-dir",
      dir,
    ]);
    const target = t;
    await waitFor("serf sees shoal", async () => !(await poisoned(serf!.rpcAddr)));
    const base = { addr: new Uint8Array([127, 0, 0, 9]), port: 9, sourceNode: "ghost" };
    await sendUdp(t, [
      serfPacket({
        type: SerfMessageType.UserEvent,
        lTime: POISON,
        name: "poison",
        payload: new Uint8Array([1]),
        cc: false,
      }),
      serfPacket({
        type: SerfMessageType.Query,
        lTime: POISON,
        id: 7,
        ...base,
        filters: [],
        flags: QUERY_FLAG_NO_BROADCAST,
        relayFactor: 0,
        timeoutNs: 1e9,
        name: "poison",
        payload: null,
      }),
      serfPacket({ type: SerfMessageType.Join, lTime: POISON, node: "ghost" }),
    ]);
    await waitFor(
      "the three forged clocks handled",
      async () => refusals(target) >= 3 || await poisoned(target.rpcAddr),
    );
    await assertHealthy(t);
    // a marker event sent after the attack reaches serf: whatever we relayed has arrived by then
    const sent = (await serfInfo(t.rpcAddr))!.event;
    await waitFor("serf received the marker event", async () => {
      const i = await serfInfo(serf!.rpcAddr);
      return i !== null && i.event >= sent;
    });
    ok(!(await poisoned(serf.rpcAddr)), "the real serf agent's clocks stay small");
    const snap = await Deno.readTextFile(`${dir}/serf.snapshot`);
    for (const m of snap.matchAll(/clock: (\d+)/g)) ok(Number(m[1]) < LTIME_AHEAD_MAX, snap);
  } finally {
    await t?.proc.stop();
    await serf?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a forged push/pull carrying clocks at 2^53-2 does not poison the node", async () => {
  const metrics = `127.0.0.1:${freePort()}`;
  const t = await startTarget("shoal-lamport-pp", ["--metrics-addr", metrics]);
  try {
    const state = encodeSerfMessage({
      type: SerfMessageType.PushPull,
      lTime: POISON,
      statusLTimes: new Map([["ghost", POISON]]),
      leftMembers: [],
      eventLTime: POISON,
      events: [],
      queryLTime: POISON,
    });
    await sendStream(t, pushPullFrame([], state));
    await waitFor(
      "the forged push/pull merged",
      async () => refusals(t) >= 3 || await poisoned(t.rpcAddr),
    );
    await assertHealthy(t);
    const text = await (await fetch(`http://${metrics}/metrics`)).text();
    const refused = /shoal_gossip_refused_total\{reason="lamport"\} (\d+)/.exec(text);
    ok(refused && Number(refused[1]) >= 3, "the refusals are counted in /metrics");
  } finally {
    await t.proc.stop();
  }
});

Deno.test("a node starts from a snapshot it wrote holding clocks at 2^53-1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "shoal-sec-snap-" });
  const max = Number.MAX_SAFE_INTEGER;
  await Deno.writeTextFile(
    `${dir}/serf.snapshot`,
    `clock: ${max}\nevent-clock: ${max}\nquery-clock: ${max}\n`,
  );
  let t: ForgeTarget | undefined;
  try {
    t = await startTarget("shoal-lamport-snap", ["--snapshot-dir", dir]);
    await assertHealthy(t);
  } finally {
    await t?.proc.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
