import assert from "node:assert/strict";
import { makeSerf, nodeInfo } from "../_support/serf_harness.ts";
import {
  decodeRelay,
  decodeSerfMessage,
  encodeRelay,
  encodeSerfMessage,
  type QueryMessage,
  type QueryResponseMessage,
  SerfMessageType,
} from "../../lib/serf/messages.ts";
import { QueryResponseError, SizeLimitError } from "../../lib/serf/errors.ts";
import type { QueryEvent, SerfEvent } from "../../lib/serf/events.ts";
import { encodeNodeFilter, encodeTagFilter } from "../../lib/serf/internal_messages.ts";
import type { QueryResult } from "../../lib/serf/query_collector.ts";

const te = new TextEncoder();
const td = new TextDecoder();

function query(over: Partial<QueryMessage> = {}): QueryMessage {
  return {
    type: SerfMessageType.Query,
    lTime: 4,
    id: 0x763ec19f,
    addr: Uint8Array.of(127, 0, 0, 1),
    port: 7947,
    sourceNode: "b",
    filters: [],
    flags: 1,
    relayFactor: 0,
    timeoutNs: 3_200_000_000,
    name: "hello",
    payload: te.encode("hi"),
    ...over,
  };
}

function queries(events: SerfEvent[]): QueryEvent[] {
  return events.filter((e): e is QueryEvent => e.type === "query");
}

Deno.test("Serf receiving a query acks to Addr:Port before delivering, and re-broadcasts it", () => {
  const { serf, handle, log } = makeSerf("py", 7950);
  let ackedBeforeDelivery = false;
  serf.subscribe((e) => {
    if (e.type === "query") ackedBeforeDelivery = handle.sent.length === 1;
  });
  const raw = encodeSerfMessage(query());
  serf.notifyMsg(raw, { host: "127.0.0.1", port: 7947 });
  assert.ok(ackedBeforeDelivery);
  assert.deepEqual(handle.sent[0]!.to, { host: "127.0.0.1", port: 7947 });
  const ack = decodeSerfMessage(handle.sent[0]!.payload) as QueryResponseMessage;
  assert.deepEqual(ack, {
    type: SerfMessageType.QueryResponse,
    lTime: 4,
    id: 0x763ec19f,
    from: "py",
    flags: 1,
    payload: null,
  });
  assert.equal(serf.queryClock.time(), 5);
  assert.deepEqual(serf.getBroadcasts(2, 1400), [raw]);
  assert.equal(log.named("serf.query.received")[0]?.fields.name, "hello");
});

Deno.test("QueryEvent.respond() sends once, refuses a second answer, a late one and an oversized one", async () => {
  const { serf, handle, clock } = makeSerf("py", 7950);
  const got: SerfEvent[] = [];
  serf.subscribe((e) => got.push(e));
  serf.notifyMsg(encodeSerfMessage(query({ flags: 0 })), { host: "127.0.0.1", port: 7947 });
  serf.notifyMsg(encodeSerfMessage(query({ flags: 0, id: 2, lTime: 5 })), {
    host: "127.0.0.1",
    port: 7947,
  });
  const [q1, q2] = queries(got);
  assert.throws(() => q1!.respond(new Uint8Array(1100)), SizeLimitError);
  q1!.respond(te.encode("hello-from-python:only-python"));
  assert.throws(() => q1!.respond(te.encode("again")), QueryResponseError);
  const resp = decodeSerfMessage(handle.sent[0]!.payload) as QueryResponseMessage;
  assert.equal(resp.flags, 0);
  assert.equal(td.decode(resp.payload!), "hello-from-python:only-python");
  await clock.advance(3201);
  assert.throws(() => q2!.respond(te.encode("late")), QueryResponseError);
  assert.equal(handle.sent.length, 1);
});

Deno.test("Serf drops a duplicate query without re-broadcast and honours the no-broadcast flag", () => {
  const { serf } = makeSerf("py", 7950);
  const raw = encodeSerfMessage(query());
  serf.notifyMsg(raw, { host: "127.0.0.1", port: 7947 });
  serf.notifyMsg(raw, { host: "127.0.0.1", port: 7947 });
  assert.equal(serf.counters.queriesDuplicate, 1);
  assert.equal(serf.getBroadcasts(2, 1400).length, 1);
  serf.notifyMsg(encodeSerfMessage(query({ id: 9, flags: 3 })), { host: "127.0.0.1", port: 7947 });
  assert.equal(serf.getBroadcasts(2, 1400).length, 1, "only the first query, again");
});

Deno.test("Serf re-broadcasts a query whose filters do not match, without acking or delivering", () => {
  const { serf, handle } = makeSerf("py", 7950, { tags: new Map([["role", "python"]]) });
  const got: SerfEvent[] = [];
  serf.subscribe((e) => got.push(e));
  const miss = encodeSerfMessage(query({ filters: [encodeTagFilter("role", "^db$")] }));
  serf.notifyMsg(miss, { host: "127.0.0.1", port: 7947 });
  assert.equal(handle.sent.length, 0);
  assert.equal(queries(got).length, 0);
  assert.equal(serf.counters.queriesFiltered, 1);
  assert.deepEqual(serf.getBroadcasts(2, 1400), [miss]);
  const hit = query({
    id: 5,
    filters: [encodeTagFilter("role", "py.*"), encodeNodeFilter(["py", "x"])],
  });
  serf.notifyMsg(encodeSerfMessage(hit), { host: "127.0.0.1", port: 7947 });
  assert.equal(queries(got).length, 1);
  const bad = query({ id: 6, filters: [Uint8Array.of(7, 0x80)] });
  serf.notifyMsg(encodeSerfMessage(bad), { host: "127.0.0.1", port: 7947 });
  assert.equal(queries(got).length, 1, "unknown filter type means do not process");
});

Deno.test("Serf.query() processes its own query locally: self-ack and self-response end it early", async () => {
  const { serf, clock } = makeSerf("a", 7946);
  serf.subscribe((e) => {
    if (e.type === "query") e.respond(te.encode("me"));
  });
  const acks: string[] = [];
  const q = serf.query("hello", te.encode("x"), { requestAck: true, onAck: (f) => acks.push(f) });
  assert.deepEqual(acks, ["a"]);
  assert.ok(q.finished, "every expected responder (just us) answered");
  const r = await q.done();
  assert.ok(r.endedEarly);
  assert.deepEqual(r.responses.map((x) => [x.from, td.decode(x.payload)]), [["a", "me"]]);
  assert.equal(clock.pendingTimers, 2, "deadline timer cleared; reap + reconnect remain");
  const [b] = serf.getBroadcasts(2, 1400);
  const sent = decodeSerfMessage(b!) as QueryMessage;
  assert.equal(sent.timeoutNs, 3_200_000_000, "default timeout for one member");
  assert.ok(sent.id < 2 ** 31);
});

Deno.test("Serf.query() collects from filtered members, dedups acks and responses per sender, ends early", async () => {
  const { serf } = makeSerf("a", 7946);
  serf.notifyJoin(nodeInfo("b", 7947, { role: "db" }));
  serf.notifyJoin(nodeInfo("c", 7948, { role: "web" }));
  serf.notifyJoin(nodeInfo("d", 7949, { role: "db" }));
  let done: QueryResult | null = null;
  const q = serf.query("hello", te.encode("x"), {
    filterTags: new Map([["role", "db"]]),
    requestAck: true,
    onDone: (r) => (done = r),
  });
  assert.deepEqual([...q.expected].sort(), ["b", "d"]);
  const resp = (from: string, flags: number) =>
    encodeSerfMessage({
      type: SerfMessageType.QueryResponse,
      lTime: q.lTime,
      id: q.id,
      from,
      flags,
      payload: flags ? null : te.encode(`r-${from}`),
    });
  for (const [f, fl] of [["b", 1], ["b", 1], ["b", 0], ["b", 0], ["d", 1]] as const) {
    serf.notifyMsg(resp(f, fl), { host: "127.0.0.1", port: 1 });
  }
  assert.equal(serf.counters.responsesDuplicate, 2);
  assert.equal(done, null);
  const wrongId = encodeSerfMessage(
    { ...decodeSerfMessage(resp("d", 0)), id: q.id + 1 } as QueryResponseMessage,
  );
  serf.notifyMsg(wrongId, { host: "127.0.0.1", port: 1 });
  assert.equal(serf.counters.responsesUnmatched, 1);
  serf.notifyMsg(resp("d", 0), { host: "127.0.0.1", port: 1 });
  assert.ok(done !== null);
  const r = await q.done();
  assert.deepEqual([...r.acks].sort(), ["b", "d"]);
  assert.deepEqual(r.responses.map((x) => x.from).sort(), ["b", "d"]);
  assert.ok(r.endedEarly);
  serf.notifyMsg(resp("c", 0), { host: "127.0.0.1", port: 1 });
  assert.equal(serf.counters.responsesUnmatched, 2, "late answers are dropped");
});

Deno.test("Serf.query() without endEarly waits for the deadline; size limit is enforced", async () => {
  const { serf, clock } = makeSerf("a", 7946);
  serf.subscribe((e) => e.type === "query" && e.respond(te.encode("ok")));
  const q = serf.query("hello", new Uint8Array(0), { endEarly: false, timeoutMs: 500 });
  assert.ok(!q.finished);
  await clock.advance(499);
  assert.ok(!q.finished);
  await clock.advance(2);
  assert.ok(q.finished);
  assert.equal((await q.done()).responses.length, 1);
  assert.throws(() => serf.query("big", new Uint8Array(1000)), SizeLimitError);
});

Deno.test("Serf relays acks and responses through relayFactor random members (relay header §7.4)", () => {
  const { serf, handle } = makeSerf("py", 7950);
  serf.notifyJoin(nodeInfo("a", 7946));
  serf.notifyJoin(nodeInfo("c", 7948));
  serf.notifyJoin(nodeInfo("b", 7947));
  serf.notifyMsg(encodeSerfMessage(query({ relayFactor: 2 })), { host: "127.0.0.1", port: 7947 });
  assert.equal(handle.sent.length, 3, "ack to the querier + 2 relays");
  const relays = handle.sent.slice(1);
  for (const r of relays) {
    const { header, inner } = decodeRelay(r.payload);
    assert.equal(header.destName, "b");
    assert.equal(header.destPort, 7947);
    assert.equal(inner[0], SerfMessageType.QueryResponse);
    assert.notEqual(r.to.port, 7950, "never relays through itself");
  }
});

Deno.test("Serf forwards a relayed response to its destination and refuses other inner types", () => {
  const { serf, handle } = makeSerf("a", 7946);
  const inner = encodeSerfMessage({
    type: SerfMessageType.QueryResponse,
    lTime: 1,
    id: 1,
    from: "x",
    flags: 0,
    payload: null,
  });
  const header = {
    destIp: Uint8Array.of(127, 0, 0, 2),
    destPort: 7000,
    destZone: "",
    destName: "q",
  };
  serf.notifyMsg(encodeRelay(header, inner), { host: "127.0.0.1", port: 1 });
  assert.deepEqual(handle.sent, [{ to: { host: "127.0.0.2", port: 7000 }, payload: inner }]);
  const join = encodeSerfMessage({ type: SerfMessageType.Join, lTime: 1, node: "z" });
  serf.notifyMsg(encodeRelay(header, join), { host: "127.0.0.1", port: 1 });
  assert.equal(handle.sent.length, 1);
  assert.equal(serf.counters.relaysRefused, 1);
});

Deno.test("Serf.query() with nobody to answer finishes at once instead of throwing", async () => {
  const { serf } = makeSerf("task-1", 7950, { tags: new Map([["role", "task"]]) });
  const done: QueryResult[] = [];
  const collector = serf.query("announce", te.encode("x"), {
    filterTags: new Map([["role", "^sidecar$"]]),
    onDone: (r) => done.push(r),
  });
  const result = await collector.done();
  assert.deepEqual(result.responses, []);
  assert.equal(done.length, 1);
  // a second query at the same time works too: the first left nothing pending behind
  const again = await serf.query("announce", te.encode("y"), {
    filterTags: new Map([["role", "^sidecar$"]]),
  }).done();
  assert.deepEqual(again.responses, []);
});

Deno.test("Serf.query() also sends a filtered query straight to its few expected responders", () => {
  const { serf, handle } = makeSerf("task-1", 7950, { tags: new Map([["role", "task"]]) });
  serf.notifyJoin(nodeInfo("sidecar-1", 7947, { role: "sidecar" }));
  serf.notifyJoin(nodeInfo("sidecar-2", 7948, { role: "sidecar" }));
  serf.notifyJoin(nodeInfo("task-2", 7949, { role: "task" }));
  handle.sent.length = 0;
  const collector = serf.query("announce", te.encode("x"), {
    filterTags: new Map([["role", "^sidecar$"]]),
  });
  const direct = handle.sent.filter((p) => p.payload[0] === SerfMessageType.Query);
  assert.deepEqual(direct.map((p) => p.to.port).sort(), [7947, 7948], "both sidecars, not task-2");
  const q = decodeSerfMessage(direct[0]!.payload) as QueryMessage;
  assert.equal(q.name, "announce");
  assert.deepEqual([...collector.expected].sort(), ["sidecar-1", "sidecar-2"]);
  // a query with more expected responders than DIRECT_QUERY_TARGETS_MAX stays gossip-only
  for (let i = 0; i < 10; i++) serf.notifyJoin(nodeInfo(`n${i}`, 8000 + i));
  handle.sent.length = 0;
  serf.query("everyone-again", te.encode("z"));
  assert.equal(handle.sent.filter((p) => p.payload[0] === SerfMessageType.Query).length, 0);
});
