/**
 * serf's ping delegate in shoal: the ack payload bytes (wire spec §7.13), what a completed ping
 * does to our coordinate and the cache `get-coordinate` reads, and what is ignored.
 */
import assert from "node:assert/strict";
import { PingDelegate } from "../../lib/serf/coordinate/ping_delegate.ts";
import { newCoordinate } from "../../lib/serf/coordinate/coordinate.ts";
import { decodeCoordinateAck, encodeCoordinateAck } from "../../lib/serf/coordinate/wire.ts";
import { seededPrng } from "../../lib/clock.ts";
import { MemoryLogger } from "../../lib/log/logger.ts";
import { capture, hex } from "../_support/bytes.ts";
import { makeSerf, nodeInfo } from "../_support/serf_harness.ts";

const ZERO = "cb 00 x8";
/** The initial coordinate as a Go serf agent encodes it on its acks (§7.13). */
const GO_INITIAL = capture(
  `01 84 aa"Adjustment" ${ZERO} a5"Error" cb 3ff8000000000000 a6"Height" cb 3ee4f8b588e368f1 ` +
    `a3"Vec" 98 ${Array(8).fill(ZERO).join(" ")}`,
);

Deno.test("encodeCoordinateAck() writes the initial coordinate byte for byte as serf does", () => {
  assert.equal(hex(encodeCoordinateAck(newCoordinate())), hex(GO_INITIAL));
  assert.deepEqual(decodeCoordinateAck(GO_INITIAL), newCoordinate());
});

Deno.test("PingDelegate.notifyPingComplete() moves our coordinate and caches the peer's", () => {
  const log = new MemoryLogger();
  const d = new PingDelegate({ localName: "a", prng: seededPrng(1), log });
  assert.deepEqual(d.cached("a"), newCoordinate());
  assert.equal(d.cached("b"), undefined);
  const peer = { ...newCoordinate(), vec: [0.002, 0, 0, 0, 0, 0, 0, 0], error: 0.4 };
  d.notifyPingComplete("b", 3.5, encodeCoordinateAck(peer));
  assert.deepEqual(d.cached("b"), peer);
  const self = d.cached("a")!;
  assert.ok(self.error < 1.5 && self.vec[0]! < 0, JSON.stringify(self));
  // The next ack we send carries the moved coordinate.
  assert.deepEqual(decodeCoordinateAck(d.ackPayload()), self);
  d.forget("b");
  assert.equal(d.cached("b"), undefined);
  d.forget("a");
  assert.ok(d.cached("a"), "our own coordinate stays");
});

Deno.test("PingDelegate.notifyPingComplete() ignores empty, unversioned and refused payloads", () => {
  const log = new MemoryLogger();
  const d = new PingDelegate({ localName: "a", prng: seededPrng(1), log });
  d.notifyPingComplete("b", 1, null);
  d.notifyPingComplete("b", 1, new Uint8Array(0));
  const wrongVersion = GO_INITIAL.slice();
  wrongVersion[0] = 2;
  d.notifyPingComplete("b", 1, wrongVersion);
  d.notifyPingComplete("b", 1, Uint8Array.of(1, 0xc1));
  assert.equal(d.decodeFailures, 2);
  d.notifyPingComplete("b", 20_000, GO_INITIAL); // 20 s: over serf's 10 s limit
  assert.equal(d.rejected, 1);
  assert.equal(d.cached("b"), undefined);
  assert.deepEqual(d.cached("a"), newCoordinate());
  assert.equal(log.named("serf.coordinate.undecodable").length, 2);
});

Deno.test("Serf: acks carry the current coordinate, a reaped member's coordinate is forgotten", () => {
  const fx = makeSerf("a");
  const b = nodeInfo("b", 7947);
  fx.serf.notifyJoin(b);
  assert.deepEqual(fx.serf.ackPayload(), GO_INITIAL);
  fx.serf.notifyPingComplete(b, 0.8, encodeCoordinateAck({ ...newCoordinate(), error: 0.5 }));
  assert.ok(fx.serf.coordinates!.cached("b"));
  assert.notDeepEqual(fx.serf.ackPayload(), GO_INITIAL);
  fx.serf.notifyLeave(b);
  fx.serf.forceLeave("b", true);
  assert.equal(fx.serf.coordinates!.cached("b"), undefined);
  const off = makeSerf("c", 7948, { config: { enableCoordinates: false } });
  assert.equal(off.serf.ackPayload(), null);
});
