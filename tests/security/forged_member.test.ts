/**
 * Attack: registering a victim's address as a server on an unencrypted cluster (issue 13,
 * defense in depth). A forged memberlist `alive` introduces a new name "t9" at a victim address
 * V, and a forged `announce` query from "t9" carries Addr/Port V, so the source check (the
 * query's address is the gossip address of the member holding the name) passes. The sidecar
 * must first see "t9" ack a direct ping at V; nothing listens there, so it adds no server.
 * A real `shoal sidecar` process with a real HAProxy. Addresses: 127.90.113.x.
 */
import { equal, ok } from "node:assert/strict";
import { QUERY_FLAG_NO_BROADCAST, SerfMessageType } from "../../lib/serf/messages.ts";
import { encodeTags } from "../../lib/serf/tags.ts";
import { announcePayload } from "../../lib/roles/task/messages.ts";
import { alivePacket, sendUdp, serfPacket } from "../_support/forge.ts";
import {
  Cluster,
  freePortOn,
  gossipAddr,
  haproxyReader,
  servers,
  writeHaproxyConfig,
} from "../_support/cluster_e2e.ts";

const VICTIM = [127, 90, 113, 9];

Deno.test("a forged member at an address that never acks cannot register it as a server", async () => {
  const cluster = new Cluster();
  const files = await writeHaproxyConfig({ web: `127.90.113.1:${freePortOn("127.90.113.1")}` });
  const reader = haproxyReader(files.socket);
  try {
    const sidecar = await cluster.sidecar({ name: "sidecar", host: "127.90.113.1", files });
    const [host, port] = (await gossipAddr(sidecar)).split(":") as [string, string];
    const to = { host, port: Number(port) };
    const victimPort = freePortOn("127.90.113.9"); // nothing listens here
    const meta = encodeTags(new Map([["role", "task"], ["state", "ready"]]));
    await sendUdp(to, [alivePacket("t9", { port: victimPort, ip: VICTIM, meta })]);
    await sendUdp(to, [serfPacket({
      type: SerfMessageType.Query,
      lTime: 50,
      id: 7,
      addr: new Uint8Array(VICTIM),
      port: victimPort,
      sourceNode: "t9",
      filters: [],
      flags: QUERY_FLAG_NO_BROADCAST,
      relayFactor: 0,
      timeoutNs: 5e9,
      name: "announce",
      payload: announcePayload({ port: 8080, backend: null, weight: null }, "ready"),
    })]);
    const judged = (l: Record<string, unknown>) =>
      (l.event === "sidecar.announce" && l.member === "t9") ||
      (l.event === "sidecar.query.source_refused" && l.member === "t9");
    const line = await sidecar.waitForLine(judged, "t9's announce judged", 10_000);
    equal(line.event, "sidecar.query.source_refused", JSON.stringify(line));
    ok(String(line.reason).includes("did not answer a ping"), String(line.reason));
    await new Promise((r) => setTimeout(r, 1_000)); // anything registered reaches HAProxy
    const names = (await servers(reader)).map((r) => r.service);
    equal(names.length, 0, `servers in HAProxy: ${names.join(",")}`);
    equal(
      sidecar.logs().filter((l) => l.event === "sidecar.announce" && l.member === "t9").length,
      0,
    );
  } finally {
    await reader.close();
    await cluster.stop();
  }
});
