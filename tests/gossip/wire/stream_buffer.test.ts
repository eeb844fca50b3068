/**
 * The stream decoder's buffer (issue 13): it grows in place, asks `reserve` before every growth
 * (so a caller's bound holds for what is allocated), and compacting it in place never changes a
 * frame already returned (decoded messages copy their bytes out).
 */
import assert from "node:assert/strict";
import { encodePushPull, MessageType, StreamDecoder } from "../../../lib/gossip/wire/mod.ts";

const frame = (state: number) =>
  encodePushPull({ join: false, nodes: [], userState: new Uint8Array(3000).fill(state) });

Deno.test("StreamDecoder asks reserve() before each growth; a refusal allocates nothing", () => {
  const asked: number[] = [];
  const dec = new StreamDecoder({ reserve: (n) => asked.push(n) });
  const whole = frame(7);
  assert.equal(dec.feed(whole.subarray(0, 100)), null);
  assert.deepEqual([asked, dec.allocatedBytes], [[4096], 4096]);
  assert.ok(dec.feed(whole.subarray(100)));
  assert.equal(asked.reduce((a, b) => a + b, 0), dec.allocatedBytes, "every byte was reserved");

  const refusing = new StreamDecoder({
    reserve: (n) => {
      if (n > 0) throw new RangeError("over budget");
    },
  });
  assert.throws(() => refusing.feed(whole.subarray(0, 100)), RangeError);
  assert.equal(refusing.allocatedBytes, 0);
});

Deno.test("StreamDecoder holds at most twice a large frame while it arrives, all of it reserved", () => {
  let reserved = 0;
  const dec = new StreamDecoder({ reserve: (n) => (reserved += n) });
  const big = encodePushPull({ join: false, nodes: [], userState: new Uint8Array(200_000) });
  let out = null;
  for (let at = 0; at < big.length && out === null; at += 8192) {
    out = dec.feed(big.subarray(at, at + 8192));
  }
  assert.equal(out?.message.type, MessageType.PushPull);
  assert.equal(reserved, dec.allocatedBytes);
  assert.ok(dec.allocatedBytes >= big.length && dec.allocatedBytes <= 2 * big.length + 8192);
});

Deno.test("StreamDecoder keeps a returned frame's bytes intact while it decodes the next", () => {
  const dec = new StreamDecoder({ role: "dialer" });
  const a = frame(1);
  const b = encodePushPull({ join: false, nodes: [], userState: new Uint8Array(20_000).fill(2) });
  const both = new Uint8Array(a.length + b.length);
  both.set(a, 0);
  both.set(b, a.length);
  const first = dec.feed(both.subarray(0, a.length + 2000));
  assert.ok(first?.message.type === MessageType.PushPull);
  const stateA = first.message.userState;
  const second = dec.feed(both.subarray(a.length + 2000));
  assert.ok(second?.message.type === MessageType.PushPull);
  assert.ok(stateA.every((x) => x === 1), "the first frame's user state was not overwritten");
  assert.ok(second.message.userState.every((x) => x === 2));
});

Deno.test("StreamDecoder.release() gives its buffer back and ends the decoder", () => {
  const dec = new StreamDecoder();
  dec.feed(frame(3).subarray(0, 2000));
  assert.ok(dec.allocatedBytes >= 2000);
  dec.release();
  assert.equal(dec.allocatedBytes, 0);
  assert.throws(() => dec.feed(new Uint8Array(1)));
});
