/**
 * Attack: a forged member (issue 13, item 1). Without a gossip key, a host that never joined can
 * send an `alive` naming a new node at an address it does not own, then an `announce` whose
 * self-declared Addr/Port is that address: the source check compares the query with the forged
 * entry and passes. The sidecar now acts on a member's first announce only after a ping to its
 * gossip address, naming it, is acked. Real sidecar and HAProxy; the forger is a raw UDP socket
 * on 127.0.0.9 and the claimed address, 127.0.0.77, has nobody listening.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { announcePayload } from "../../lib/roles/task/messages.ts";
import { TASK_STATE } from "../../lib/proto.ts";
import { encodeTags } from "../../lib/serf/tags.ts";
import { QUERY_FLAG_NO_BROADCAST, SerfMessageType } from "../../lib/serf/messages.ts";
import { serverOf, servers } from "../_support/cluster_e2e.ts";
import { startSidecar, startTasksUp } from "../_support/e2e_setup.ts";
import { alivePacket, sendUdp, serfPacket } from "../_support/forge.ts";
import { freePortOn } from "../_support/ports.ts";

const CLAIMED = [127, 0, 0, 77];

Deno.test("a forged alive and announce from a host that never joined add no server", async () => {
  const setup = await startSidecar("127.0.1.40");
  try {
    const [host, port] = setup.join[0]!.split(":") as [string, string];
    const to = { host, port: Number(port) };
    const gossipPort = freePortOn("127.0.0.77");
    const meta = encodeTags(new Map([["role", "task"]]));
    await sendUdp(to, [alivePacket("evil", { port: gossipPort, ip: CLAIMED, meta })]);
    await new Promise((r) => setTimeout(r, 300));
    await sendUdp(to, [serfPacket({
      type: SerfMessageType.Query,
      lTime: 5,
      id: 4242,
      addr: new Uint8Array(CLAIMED),
      port: gossipPort,
      sourceNode: "evil",
      filters: [],
      flags: QUERY_FLAG_NO_BROADCAST,
      relayFactor: 0,
      timeoutNs: 5e9,
      name: "announce",
      payload: announcePayload({ port: 8080, backend: null, weight: null }, TASK_STATE.ready),
    })]);
    const refused = await setup.sidecar.waitForLog(
      "sidecar.query.source_refused",
      (l) => l.member === "evil" || l.node === "evil",
      8000,
    );
    ok(String(refused.reason).includes("did not answer a ping"), JSON.stringify(refused));
    deepStrictEqual((await servers(setup.hap)).map((r) => r.service), []);
    // a real task at its own address still registers (its first announce is verified)
    await startTasksUp(setup, { names: ["t1"], hostOf: () => "127.0.1.41", upWithinMs: 10_000 });
    deepStrictEqual((await servers(setup.hap)).map((r) => r.service), [serverOf("t1")]);
  } finally {
    await setup.stop();
  }
});
