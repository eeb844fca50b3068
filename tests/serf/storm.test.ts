import assert from "node:assert/strict";
import { makeSerf, nodeInfo } from "../_support/serf_harness.ts";
import { encodeSerfMessage, type QueryMessage, SerfMessageType } from "../../lib/serf/messages.ts";
import { SerfStateError } from "../../lib/serf/errors.ts";

const from = { host: "127.0.0.1", port: 7947 };

function query(lTime: number, id: number): Uint8Array {
  const q: QueryMessage = {
    type: SerfMessageType.Query,
    lTime,
    id,
    addr: Uint8Array.of(127, 0, 0, 1),
    port: 7947,
    sourceNode: "b",
    filters: [],
    flags: 1,
    relayFactor: 0,
    timeoutNs: 1e9,
    name: "flood",
    payload: null,
  };
  return encodeSerfMessage(q);
}

Deno.test("storm: 20 000 queries keep the broadcast queue, ring slots and subscriber queue bounded", () => {
  const { serf, handle, log } = makeSerf("a", 7946, { config: { queueDepthMax: 256 } });
  const events = serf.events(100);
  for (let i = 0; i < 10_000; i++) serf.notifyMsg(query(50, i), from); // one Lamport slot
  for (let i = 0; i < 10_000; i++) serf.notifyMsg(query(100 + i, i), from);
  assert.equal(serf.counters.queriesStale, 10_000 - 64, "slot full beyond slotEntriesMax");
  assert.ok(serf.stats().queryQueue <= 256, `queue ${serf.stats().queryQueue}`);
  assert.equal(events.length, 100);
  assert.equal(events.dropped, serf.counters.eventsDropped);
  assert.equal(serf.counters.queriesDelivered, 100 + events.dropped);
  assert.equal(handle.sent.length, serf.counters.queriesDelivered, "one ack per delivered query");
  assert.equal(log.named("serf.query.received").length, serf.counters.queriesDelivered);
});

Deno.test("storm: a flood of responses to one query is capped at the member count", () => {
  const { serf } = makeSerf("a", 7946);
  serf.notifyJoin(nodeInfo("b", 7947));
  const q = serf.query("q", new Uint8Array(0), { endEarly: false });
  for (let i = 0; i < 5000; i++) {
    serf.notifyMsg(
      encodeSerfMessage({
        type: SerfMessageType.QueryResponse,
        lTime: q.lTime,
        id: q.id,
        from: `forged-${i}`,
        flags: 0,
        payload: null,
      }),
      from,
    );
  }
  assert.equal(q.result().responses.length, 2);
  assert.equal(q.dropped, 4998);
});

Deno.test("storm: originating queries beyond pendingQueriesMax is refused with SerfStateError", () => {
  const { serf } = makeSerf("a", 7946, { config: { pendingQueriesMax: 8 } });
  serf.notifyJoin(nodeInfo("b", 7947));
  for (let i = 0; i < 8; i++) serf.query("q", new Uint8Array(0));
  assert.throws(() => serf.query("q", new Uint8Array(0)), SerfStateError);
  assert.equal(serf.queries.pendingCount, 8);
  serf.shutdown();
  assert.equal(serf.queries.pendingCount, 0);
});

Deno.test("storm: 10 000 intents for unknown names stay within recentIntentsMax", () => {
  const { serf } = makeSerf("a", 7946, { config: { recentIntentsMax: 100, queueDepthMax: 50 } });
  for (let i = 0; i < 10_000; i++) {
    serf.notifyMsg(
      encodeSerfMessage({ type: SerfMessageType.Join, lTime: i + 1, node: `n${i}` }),
      from,
    );
  }
  assert.equal(serf.table.intentCount, 100);
  assert.equal(serf.table.intentsDropped, 9900);
  assert.ok(serf.stats().intentQueue <= 50);
});
