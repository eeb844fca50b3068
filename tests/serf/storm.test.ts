import assert from "node:assert/strict";
import { makeSerf, nodeInfo } from "../_support/serf_harness.ts";
import { encodeSerfMessage, type QueryMessage, SerfMessageType } from "../../lib/serf/messages.ts";
import { SerfStateError } from "../../lib/serf/errors.ts";

const from = { host: "127.0.0.1", port: 7947 };

function query(lTime: number, id: number, sourceNode = "b"): Uint8Array {
  const q: QueryMessage = {
    type: SerfMessageType.Query,
    lTime,
    id,
    addr: Uint8Array.of(127, 0, 0, 1),
    port: 7947,
    sourceNode,
    filters: [],
    flags: 1,
    relayFactor: 0,
    timeoutNs: 1e9,
    name: "flood",
    payload: null,
  };
  return encodeSerfMessage(q);
}

Deno.test("storm: 30 000 queries keep the broadcast queue, query ring and subscriber queue bounded", () => {
  const { serf, handle, log } = makeSerf("a", 7946, { config: { queueDepthMax: 256 } });
  const events = serf.events(100);
  for (let i = 0; i < 20_000; i++) serf.notifyMsg(query(50, i), from); // one Lamport slot
  assert.equal(serf.queryRing.size, 16_384, "queryIdsMax");
  assert.equal(serf.counters.queriesRingFull, 20_000 - 16_384);
  // Once LTime 50 has left the 512-slot window, its IDs no longer block newer queries.
  for (let i = 0; i < 10_000; i++) serf.notifyMsg(query(600 + i, i), from);
  assert.equal(
    serf.counters.queriesRingFull,
    20_000 - 16_384,
    "none refused after the window moved",
  );
  assert.ok(serf.queryRing.size <= 512, `ring ${serf.queryRing.size}`);
  assert.ok(serf.stats().queryQueue <= 256, `queue ${serf.stats().queryQueue}`);
  assert.equal(events.length, 100);
  assert.equal(events.dropped, serf.counters.eventsDropped);
  assert.equal(serf.counters.queriesDelivered, 16_384 + 10_000);
  assert.equal(serf.counters.queriesDelivered, 100 + events.dropped);
  assert.equal(handle.sent.length, serf.counters.queriesDelivered, "one ack per delivered query");
  assert.equal(log.named("serf.query.received").length, serf.counters.queriesDelivered);
});

Deno.test("queries: 1000 members' queries at one Lamport time are all delivered (a fleet departing at once)", () => {
  // Tasks that saw the same last query share a query clock: when a service scales in, hundreds of
  // them send `depart` at the same LTime. Each must reach the sidecar once, and a copy gossiped
  // back later must still be recognised as a duplicate.
  const { serf } = makeSerf("a", 7946);
  const names: string[] = [];
  serf.subscribe((e) => {
    if (e.type === "query") names.push(e.sourceNode);
  });
  for (let i = 0; i < 1000; i++) serf.notifyMsg(query(50, 7000 + i, `task-${i}`), from);
  assert.equal(names.length, 1000);
  assert.equal(new Set(names).size, 1000);
  for (let i = 0; i < 1000; i++) serf.notifyMsg(query(50, 7000 + i, `task-${i}`), from);
  assert.equal(names.length, 1000, "the gossiped copies are duplicates");
  assert.equal(serf.counters.queriesDuplicate, 1000);
  assert.equal(serf.counters.queriesStale, 0);
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
