import assert from "node:assert/strict";
import { SimDialError, SimNetwork } from "../_support/sim_network.ts";
import { VirtualClock } from "../_support/virtual_clock.ts";

function pair(opts: { seed: number; lossRate?: number; duplicateRate?: number }) {
  const clock = new VirtualClock();
  const net = new SimNetwork(clock, opts);
  const a = net.transport({ host: "10.3.0.1", port: 1 });
  const b = net.transport({ host: "10.3.0.2", port: 1 });
  const got: number[] = [];
  a.start({ onPacket: () => {}, onStream: (c) => c.close() });
  b.start({ onPacket: (bytes) => got.push(bytes[0]!), onStream: (c) => c.close() });
  return { clock, net, a, b, got };
}

Deno.test("VirtualClock runs timers in due order, ties in the order set", async () => {
  const clock = new VirtualClock();
  const order: string[] = [];
  clock.setTimer(20, () => order.push("b"));
  clock.setTimer(10, () => order.push("a"));
  clock.setTimer(20, () => order.push("c"));
  const cancelled = clock.setTimer(15, () => order.push("x"));
  clock.clearTimer(cancelled);
  clock.setTimer(5, () => clock.setTimer(0, () => order.push("nested")));
  await clock.advance(20);
  assert.deepEqual(order, ["nested", "a", "b", "c"]);
  assert.equal(clock.nowMs(), 20);
});

Deno.test("SimNetwork loses and duplicates datagrams at the configured rates, reproducibly", async () => {
  const run = async (seed: number) => {
    const { clock, a, b, got, net } = pair({ seed, lossRate: 0.3, duplicateRate: 0.2 });
    for (let i = 0; i < 1000; i++) a.sendPacket(Uint8Array.of(i & 0xff), b.bindAddress);
    await clock.advance(100);
    return { got: got.length, stats: { ...net.stats } };
  };
  const first = await run(5);
  assert.deepEqual(await run(5), first, "same seed, same outcome");
  assert.ok(first.stats.packetsLost > 250 && first.stats.packetsLost < 350);
  assert.ok(first.stats.packetsDuplicated > 100 && first.stats.packetsDuplicated < 180);
  assert.equal(first.got, 1000 - first.stats.packetsLost + first.stats.packetsDuplicated);
});

Deno.test("SimNetwork partitions drop datagrams, time out dials and break streams", async () => {
  const { clock, net, a, b, got } = pair({ seed: 1 });
  let accepted = 0;
  const c = net.transport({ host: "10.3.0.3", port: 1 });
  c.start({ onPacket: () => {}, onStream: () => accepted++ });
  const open = a.dialStream(c.bindAddress, 1000);
  await clock.advance(20);
  const conn = await open;
  const reading = conn.read(new Uint8Array(10));
  net.partition([[a.bindAddress], [b.bindAddress, c.bindAddress]]);
  assert.equal(await reading, null, "an open stream breaks");
  a.sendPacket(Uint8Array.of(1), b.bindAddress);
  const dial = a.dialStream(b.bindAddress, 1000).catch((e) => e);
  await clock.advance(999);
  await clock.advance(1);
  assert.ok((await dial) instanceof SimDialError);
  net.heal();
  a.sendPacket(Uint8Array.of(2), b.bindAddress);
  await clock.advance(10);
  assert.deepEqual(got, [2]);
  assert.equal(accepted, 1);
  conn.close();
});

Deno.test("SimNetwork.cutOneWay() drops datagrams one way only and fails streams both ways", async () => {
  const { clock, net, a, b, got } = pair({ seed: 1 });
  const fromB: number[] = [];
  const c = net.transport({ host: "10.3.0.3", port: 1 });
  c.start({ onPacket: (bytes) => fromB.push(bytes[0]!), onStream: (s) => s.close() });
  net.cutOneWay([a.bindAddress], [b.bindAddress]);
  assert.ok(net.partitioned);
  a.sendPacket(Uint8Array.of(1), b.bindAddress);
  b.sendPacket(Uint8Array.of(2), c.bindAddress);
  a.sendPacket(Uint8Array.of(3), c.bindAddress);
  await clock.advance(20);
  assert.deepEqual(got, [], "a to b is cut");
  assert.deepEqual(fromB, [2, 3], "b to c and a to c still deliver");
  const dial = b.dialStream(a.bindAddress, 500).catch((e) => e);
  await clock.advance(500);
  assert.ok((await dial) instanceof SimDialError, "a stream needs both ways");
  net.heal();
  assert.ok(!net.partitioned);
  a.sendPacket(Uint8Array.of(4), b.bindAddress);
  await clock.advance(20);
  assert.deepEqual(got, [4]);
});

Deno.test("SimNetwork streams deliver bytes in order and end-of-stream after close", async () => {
  const clock = new VirtualClock();
  const net = new SimNetwork(clock, { seed: 2, delayMinMs: 1, delayMaxMs: 50 });
  const a = net.transport({ host: "10.3.0.1", port: 1 });
  const b = net.transport({ host: "10.3.0.2", port: 1 });
  const received: number[] = [];
  a.start({ onPacket: () => {}, onStream: (s) => s.close() });
  b.start({
    onPacket: () => {},
    onStream: async (s) => {
      const buf = new Uint8Array(1);
      for (let n = await s.read(buf); n !== null; n = await s.read(buf)) received.push(buf[0]!);
      s.close();
    },
  });
  const p = a.dialStream(b.bindAddress, 1000);
  await clock.advance(200);
  const conn = await p;
  for (let i = 0; i < 20; i++) await conn.writeAll(Uint8Array.of(i));
  conn.close();
  await clock.advance(2000);
  assert.deepEqual(received, Array.from({ length: 20 }, (_, i) => i));
  const refused = a.dialStream({ host: "10.3.0.9", port: 1 }, 1000).catch((e) => e);
  await clock.advance(200);
  assert.ok((await refused) instanceof SimDialError, "no listener: refused");
});
