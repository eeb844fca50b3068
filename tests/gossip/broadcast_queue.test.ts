import assert from "node:assert/strict";
import {
  type Broadcast,
  retransmitLimit,
  TransmitLimitedQueue,
} from "../../lib/gossip/broadcast_queue.ts";

const msg = (len: number, tag = 0) => new Uint8Array(len).fill(tag);

Deno.test("retransmitLimit() is 4/8/12 for n < 10 / < 100 / < 1000 with mult 4", () => {
  assert.equal(retransmitLimit(4, 1), 4);
  assert.equal(retransmitLimit(4, 9), 4);
  assert.equal(retransmitLimit(4, 10), 8);
  assert.equal(retransmitLimit(4, 99), 8);
  assert.equal(retransmitLimit(4, 100), 12);
  assert.equal(retransmitLimit(4, 999), 12);
});

for (const [n, limit] of [[5, 4], [50, 8], [500, 12]] as const) {
  Deno.test(`TransmitLimitedQueue.getBroadcasts() sends each broadcast ${limit} times with ${n} nodes`, () => {
    let finished = 0;
    const q = new TransmitLimitedQueue({ retransmitMult: 4, numNodes: () => n });
    q.queue({ message: msg(10), name: "x", finished: () => finished++ });
    let sent = 0;
    for (let i = 0; i < 20; i++) sent += q.getBroadcasts(2, 1400).length;
    assert.equal(sent, limit);
    assert.equal(finished, 1);
    assert.equal(q.length, 0);
  });
}

Deno.test("TransmitLimitedQueue orders by transmits, then length descending, then newest", () => {
  const q = new TransmitLimitedQueue({ retransmitMult: 4, numNodes: () => 50 });
  q.queue({ message: msg(5, 1) });
  q.queue({ message: msg(9, 2) });
  q.queue({ message: msg(5, 3) });
  assert.deepEqual(q.snapshot().map((s) => s.broadcast.message[0]), [2, 3, 1]);
  // Budget for one 9-byte item only: it is taken and moves behind the untransmitted ones.
  assert.deepEqual(q.getBroadcasts(2, 11).map((m) => m[0]), [2]);
  assert.deepEqual(q.snapshot().map((s) => [s.broadcast.message[0], s.transmits]), [
    [3, 0],
    [1, 0],
    [2, 1],
  ]);
});

Deno.test("TransmitLimitedQueue.getBroadcasts() skips what does not fit and fills the rest", () => {
  const q = new TransmitLimitedQueue({ retransmitMult: 4, numNodes: () => 5 });
  q.queue({ message: msg(100, 1) });
  q.queue({ message: msg(30, 2) });
  q.queue({ message: msg(20, 3) });
  // 60 bytes with overhead 2: 100 does not fit, 30 + 2 and 20 + 2 do.
  assert.deepEqual(q.getBroadcasts(2, 60).map((m) => m[0]), [2, 3]);
  assert.deepEqual(q.getBroadcasts(2, 10), []);
});

Deno.test("TransmitLimitedQueue.queue() invalidates an older broadcast with the same name", () => {
  const done: string[] = [];
  const q = new TransmitLimitedQueue({ retransmitMult: 4, numNodes: () => 5 });
  q.queue({ message: msg(3, 1), name: "a", finished: () => done.push("a1") });
  q.queue({ message: msg(3, 2), name: "b", finished: () => done.push("b") });
  q.queue({ message: msg(3, 3), name: "a", finished: () => done.push("a2") });
  assert.deepEqual(done, ["a1"]);
  assert.deepEqual(q.getBroadcasts(2, 1400).map((m) => m[0]).sort(), [2, 3]);
});

Deno.test("TransmitLimitedQueue.queue() lets unnamed broadcasts invalidate via invalidates()", () => {
  const q = new TransmitLimitedQueue<Broadcast & { key: string }>({
    retransmitMult: 4,
    numNodes: () => 5,
  });
  const make = (key: string, tag: number) => ({
    key,
    message: msg(3, tag),
    invalidates(older: Broadcast) {
      return (older as { key?: string }).key === key;
    },
  });
  q.queue(make("k", 1));
  q.queue({ key: "unique", message: msg(3, 2) });
  q.queue(make("k", 3));
  assert.deepEqual(q.snapshot().map((s) => s.broadcast.message[0]).sort(), [2, 3]);
});

Deno.test("TransmitLimitedQueue.prune() drops the most-transmitted first and finishes them", () => {
  const done: number[] = [];
  const q = new TransmitLimitedQueue({ retransmitMult: 4, numNodes: () => 50 });
  q.queue({ message: msg(4, 1), finished: () => done.push(1) });
  q.getBroadcasts(2, 1400);
  q.queue({ message: msg(4, 2), finished: () => done.push(2) });
  q.queue({ message: msg(4, 3), finished: () => done.push(3) });
  q.prune(2);
  assert.deepEqual(done, [1]);
  q.prune(0);
  assert.deepEqual(done.sort(), [1, 2, 3]);
  assert.equal(q.length, 0);
});
