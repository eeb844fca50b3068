/**
 * Attack: large incoming user events and queries (issue 13, item 4). 200 user events of 60 KB
 * over UDP used to be stored (serf limits them to 512 bytes), so the node's push/pull state grew
 * past 8 MiB and every new node's join failed. Serf's limits now hold on receive too. Real
 * `shoal agent` processes.
 */
import { ok } from "node:assert/strict";
import { QUERY_FLAG_NO_BROADCAST, SerfMessageType } from "../../lib/serf/messages.ts";
import {
  type ForgeTarget,
  memberNames,
  sendUdp,
  serfPacket,
  startTarget,
} from "../_support/forge.ts";
import { waitFor } from "../_support/serf_agent.ts";

const EVENTS = 200;
const EVENT_BYTES = 60_000;

function handled(t: ForgeTarget, lTime: number): boolean {
  return t.proc.logs().some((l) =>
    (l.event === "serf.user_event.received" || l.event === "serf.user_event.oversize") &&
    l.l_time === lTime
  );
}

Deno.test("200 user events of 60 KB are refused on receive and new nodes still join", async () => {
  const a = await startTarget("shoal-size-a");
  let b: ForgeTarget | undefined;
  try {
    const payload = new Uint8Array(EVENT_BYTES).fill(0x61);
    for (let lTime = 1; lTime <= EVENTS; lTime++) {
      const msg = {
        type: SerfMessageType.UserEvent,
        lTime,
        name: "big",
        payload,
        cc: false,
      } as const;
      await sendUdp(a, [serfPacket(msg)]);
      // paced: the kernel drops datagrams that arrive faster than the node reads them
      await waitFor(`event ${lTime} handled`, () => handled(a, lTime), 5000, 2);
    }
    const stored = a.proc.logs().filter((l) => l.event === "serf.user_event.received").length;
    ok(stored === 0, `${stored} oversized user events were stored`);
    b = await startTarget("shoal-size-b", ["--join", `${a.host}:${a.port}`]);
    await waitFor(
      "a lists b",
      async () => (await memberNames(a.rpcAddr))?.includes("shoal-size-b") ?? false,
    );
  } finally {
    await b?.proc.stop();
    await a.proc.stop();
  }
});

Deno.test("a query of 2 KB (serf's limit is 1 KB) is refused on receive", async () => {
  const a = await startTarget("shoal-size-q");
  try {
    const q = (id: number, bytes: number) =>
      serfPacket({
        type: SerfMessageType.Query,
        lTime: id,
        id,
        addr: new Uint8Array([127, 0, 0, 9]),
        port: 9,
        sourceNode: "ghost",
        filters: [],
        flags: QUERY_FLAG_NO_BROADCAST,
        relayFactor: 0,
        timeoutNs: 1e9,
        name: "big",
        payload: new Uint8Array(bytes),
      });
    await sendUdp(a, [q(1, 2048), q(2, 16)]);
    await a.proc.waitForLog("serf.query.received", (l) => l.id === 2);
    const first = a.proc.logs().find((l) => l.event === "serf.query.received" && l.id === 1);
    ok(first === undefined, "the 2 KB query was delivered");
    ok(a.proc.logs().some((l) => l.event === "serf.query.oversize" && l.id === 1));
  } finally {
    await a.proc.stop();
  }
});
