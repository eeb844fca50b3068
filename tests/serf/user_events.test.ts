import assert from "node:assert/strict";
import { makeSerf, nodeInfo } from "../_support/serf_harness.ts";
import { decodeSerfMessage, encodeSerfMessage, SerfMessageType } from "../../lib/serf/messages.ts";
import { SizeLimitError } from "../../lib/serf/errors.ts";
import type { SerfEvent } from "../../lib/serf/events.ts";

const te = new TextEncoder();
const from = { host: "127.0.0.1", port: 7947 };

function userEvent(lTime: number, name: string, payload = "p") {
  return encodeSerfMessage({
    type: SerfMessageType.UserEvent,
    lTime,
    name,
    payload: te.encode(payload),
    cc: false,
  });
}

Deno.test("Serf.userEvent() stamps the event clock, delivers locally and queues the broadcast", () => {
  const { serf, log } = makeSerf();
  const got: SerfEvent[] = [];
  serf.subscribe((e) => got.push(e));
  serf.userEvent("deploy", te.encode("v1"), true);
  assert.equal(serf.eventClock.time(), 2);
  assert.equal(got.length, 1);
  assert.deepEqual(got[0], {
    type: "user",
    lTime: 1,
    name: "deploy",
    payload: te.encode("v1"),
    coalesce: true,
  });
  const [b] = serf.getBroadcasts(2, 1400);
  const m = decodeSerfMessage(b!);
  assert.equal(m.type, SerfMessageType.UserEvent);
  assert.equal(log.named("serf.user_event.received")[0]?.fields.name, "deploy");
});

Deno.test("Serf.userEvent() refuses name + payload over the limit with SizeLimitError", () => {
  const { serf } = makeSerf();
  assert.throws(() => serf.userEvent("x", new Uint8Array(512)), SizeLimitError);
  assert.throws(
    () => serf.userEvent("x", new Uint8Array(500)),
    SizeLimitError,
    "encoded form too big",
  );
  serf.userEvent("x", new Uint8Array(400));
});

Deno.test("Serf.notifyMsg() delivers a new user event once and re-broadcasts the exact bytes", () => {
  const { serf } = makeSerf();
  const got: SerfEvent[] = [];
  serf.subscribe((e) => got.push(e));
  const raw = userEvent(7, "pyevent");
  serf.notifyMsg(raw, from);
  serf.notifyMsg(raw, from);
  assert.equal(got.length, 1);
  assert.equal(serf.eventClock.time(), 8, "witnessed");
  assert.equal(serf.counters.userEventsDuplicate, 1);
  assert.deepEqual(serf.getBroadcasts(2, 1400), [raw]);
  serf.notifyMsg(userEvent(7, "pyevent", "other"), from);
  assert.equal(got.length, 2, "same LTime, different payload is a new event");
});

Deno.test("Serf drops user events older than the 512-slot ring", () => {
  const { serf } = makeSerf();
  serf.notifyMsg(userEvent(2000, "new"), from);
  serf.notifyMsg(userEvent(1000, "old"), from);
  assert.equal(serf.counters.userEventsStale, 1);
  assert.equal(serf.counters.userEventsDelivered, 1);
});

Deno.test("storm: 5000 distinct user events at one Lamport time stay bounded and counted", () => {
  const { serf } = makeSerf("a", 7946, { config: { queueDepthMax: 100 } });
  let delivered = 0;
  serf.subscribe(() => delivered++);
  for (let i = 0; i < 5000; i++) serf.notifyMsg(userEvent(10, `e${i}`), from);
  assert.equal(delivered, 64, "slotEntriesMax");
  assert.equal(serf.counters.userEventsSlotFull, 5000 - 64);
  assert.ok(serf.stats().eventQueue <= 100);
  for (let i = 0; i < 5000; i++) serf.notifyMsg(userEvent(100 + i, `f${i}`), from);
  assert.ok(serf.stats().eventQueue <= 100, `queue ${serf.stats().eventQueue}`);
  assert.ok(serf.counters.broadcastsPruned >= 4900);
});

Deno.test("Serf push/pull: localState() and mergeRemoteState() carry clocks, statuses and events", () => {
  const a = makeSerf("a", 7946);
  const b = makeSerf("b", 7947);
  a.serf.notifyJoin(nodeInfo("c", 7948));
  a.serf.notifyJoin(nodeInfo("d", 7949));
  a.serf.forceLeave("d");
  a.serf.notifyLeave(nodeInfo("d", 7949));
  a.serf.userEvent("hello", te.encode("x"));
  const got: SerfEvent[] = [];
  b.serf.subscribe((e) => got.push(e));
  b.serf.notifyJoin(nodeInfo("d", 7949));
  b.serf.mergeRemoteState(a.serf.localState(false), false);
  assert.ok(b.serf.memberClock.time() >= a.serf.memberClock.time() - 1);
  assert.equal(b.serf.eventClock.time(), a.serf.eventClock.time());
  assert.equal(b.serf.table.get("d")!.status, 2, "left on a → leaving on b (alive there)");
  assert.deepEqual(got.filter((e) => e.type === "user").map((e) => e.type === "user" && e.name), [
    "hello",
  ]);
});

Deno.test("Serf join push/pull with ignoreOld raises the event minimum time", async () => {
  const a = makeSerf("a", 7946);
  a.serf.userEvent("old", te.encode("x"));
  const b = makeSerf("b", 7947);
  const got: SerfEvent[] = [];
  b.serf.subscribe((e) => got.push(e));
  const state = a.serf.localState(true);
  b.handle.join = (addrs) => {
    b.handle.joins.push([...addrs]);
    b.serf.mergeRemoteState(state, true);
    return Promise.resolve(1);
  };
  assert.equal(await b.serf.join(["127.0.0.1:7946"], true), 1);
  assert.equal(got.filter((e) => e.type === "user").length, 0);
  assert.equal(b.serf.counters.userEventsStale, 1);
  const intents = b.serf.getBroadcasts(2, 1400).map(decodeSerfMessage);
  assert.deepEqual(intents.map((m) => m.type), [SerfMessageType.Join]);
});

Deno.test("Serf.mergeRemoteState() counts undecodable state and ignores it", () => {
  const { serf } = makeSerf();
  serf.mergeRemoteState(Uint8Array.of(2, 0xc1), false);
  serf.mergeRemoteState(Uint8Array.of(1, 0x80), false);
  assert.equal(serf.counters.decodeErrors, 1);
  assert.equal(serf.counters.unknownMessages, 1);
});
