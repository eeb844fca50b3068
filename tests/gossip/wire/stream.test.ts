import assert from "node:assert/strict";
import { seededPrng } from "../../../lib/clock.ts";
import { Keyring } from "../../../lib/gossip/wire/keyring.ts";
import {
  encodeMessage,
  MessageType,
  NodeState,
  SHOAL_VSN,
} from "../../../lib/gossip/wire/messages.ts";
import { encode } from "../../../lib/gossip/wire/msgpack.ts";
import {
  decodePushPull,
  encodePushPull,
  encodeStreamFrame,
  encodeUserStreamMessage,
  StreamDecoder,
  type StreamDecoderOptions,
  type StreamFrame,
} from "../../../lib/gossip/wire/stream.ts";
import { capture, CAPTURE_PUSH_PULL, CAPTURE_SERF_STATE, hex, throwsDecode } from "./_captures.ts";

/** Feeds `wire` in pseudo-random chunk sizes; returns every frame produced. */
function feedChunked(wire: Uint8Array, options: StreamDecoderOptions, seed: number): StreamFrame[] {
  const prng = seededPrng(seed);
  const dec = new StreamDecoder(options);
  const frames: StreamFrame[] = [];
  let at = 0;
  while (at < wire.length) {
    const n = 1 + Math.floor(prng() * 40);
    let f = dec.feed(wire.subarray(at, at + n));
    while (f !== null) (frames.push(f)), (f = dec.feed(new Uint8Array()));
    at += n;
  }
  dec.end();
  return frames;
}

function only(frames: StreamFrame[]): StreamFrame {
  assert.equal(frames.length, 1);
  return frames[0]!;
}

Deno.test("decodePushPull() reads capture (g) and encodePushPull() rebuilds it byte for byte", () => {
  const p = decodePushPull(CAPTURE_PUSH_PULL);
  assert.equal(p.join, true);
  assert.deepEqual(p.nodes.map((n) => [n.name, n.port, n.state]), [["a", 7946, NodeState.Alive], [
    "b",
    7947,
    NodeState.Alive,
  ]]);
  assert.deepEqual(p.nodes[0]!.vsn, Uint8Array.from(SHOAL_VSN));
  assert.deepEqual(p.userState, CAPTURE_SERF_STATE);
  assert.equal(hex(encodePushPull(p)), hex(CAPTURE_PUSH_PULL));
});

Deno.test("encodeStreamFrame() compresses capture (g) to Go's 281 bytes (Buf str16 of 266)", () => {
  const wire = encodeStreamFrame(CAPTURE_PUSH_PULL);
  assert.equal(hex(wire.subarray(0, 15)), "0982a4416c676f00a3427566da010a");
  assert.equal(wire.length, 281);
});

Deno.test("StreamDecoder reads a compressed push/pull fed in small chunks", () => {
  const f = only(feedChunked(encodeStreamFrame(CAPTURE_PUSH_PULL), {}, 1));
  assert.equal(f.compressed, true);
  assert.equal(f.encrypted, false);
  assert.equal(f.message.type, MessageType.PushPull);
  if (f.message.type !== MessageType.PushPull) return;
  assert.equal(f.message.nodes.length, 2);
  assert.deepEqual(f.message.userState, CAPTURE_SERF_STATE);
});

Deno.test("StreamDecoder parses a plain push/pull incrementally: header, N states, user bytes", () => {
  const dec = new StreamDecoder();
  const wire = CAPTURE_PUSH_PULL;
  for (let i = 0; i < wire.length - 1; i++) {
    assert.equal(dec.feed(wire.subarray(i, i + 1)), null, `byte ${i}`);
  }
  const f = dec.feed(wire.subarray(wire.length - 1));
  assert.ok(f);
  assert.equal(f.compressed, false);
  assert.equal(dec.bufferedBytes, 0);
});

Deno.test("StreamDecoder reads ping, ack, err and user frames, plain and compressed", () => {
  const ping = encodeMessage({ type: MessageType.Ping, seqNo: 8, node: "b" });
  const ack = encodeMessage({ type: MessageType.Ack, seqNo: 8, payload: null });
  const err = encodeMessage({ type: MessageType.Err, error: "no" });
  const user = encodeUserStreamMessage(capture(`0102030405`));
  for (const compress of [true, false]) {
    const frames = feedChunked(
      new Uint8Array(
        [ping, ack, err, user].flatMap((m) => [...encodeStreamFrame(m, { compress })]),
      ),
      {},
      compress ? 2 : 3,
    );
    assert.deepEqual(frames.map((f) => f.message), [
      { type: MessageType.Ping, seqNo: 8, node: "b" },
      { type: MessageType.Ack, seqNo: 8, payload: null },
      { type: MessageType.Err, error: "no" },
      { type: MessageType.User, payload: capture(`0102030405`) },
    ]);
  }
});

Deno.test("StreamDecoder decrypts [0x0A][n][blob] with the label as authenticated data", () => {
  const ring = new Keyring([new Uint8Array(32).fill(7)]);
  const opts = { keyring: ring, label: "blue" };
  const wire = encodeStreamFrame(CAPTURE_PUSH_PULL, { ...opts, dialer: true });
  assert.equal(hex(wire.subarray(0, 6)), "f404" + hex(new TextEncoder().encode("blue")));
  assert.equal(wire[6], MessageType.Encrypt);
  const f = only(feedChunked(wire, opts, 4));
  assert.ok(f.encrypted && f.compressed);
  assert.equal(f.label, "blue");
  // The reply carries no label header, but the label is still authenticated data.
  const reply = encodeStreamFrame(CAPTURE_PUSH_PULL, opts);
  assert.equal(reply[0], MessageType.Encrypt);
  assert.equal(
    only(feedChunked(reply, { ...opts, role: "dialer" }, 5)).message.type,
    MessageType.PushPull,
  );
  throwsDecode(() => feedChunked(reply, { keyring: ring, role: "dialer" }, 6), "decrypt");
  // Uncompressed inside encryption is accepted too.
  const plainInside = encodeStreamFrame(CAPTURE_PUSH_PULL, {
    ...opts,
    compress: false,
    encryptionVersion: 0,
  });
  assert.equal(only(feedChunked(plainInside, { ...opts, role: "dialer" }, 7)).compressed, false);
});

Deno.test("StreamDecoder enforces encryption settings and labels", () => {
  const ring = new Keyring([new Uint8Array(16).fill(1)]);
  const encrypted = encodeStreamFrame(CAPTURE_PUSH_PULL, { keyring: ring });
  throwsDecode(() => new StreamDecoder().feed(encrypted), "decrypt");
  throwsDecode(() => new StreamDecoder({ keyring: ring }).feed(CAPTURE_PUSH_PULL), "unencrypted");
  assert.ok(new StreamDecoder({ keyring: ring, verifyIncoming: false }).feed(CAPTURE_PUSH_PULL));
  const labelled = encodeStreamFrame(CAPTURE_PUSH_PULL, { label: "red", dialer: true });
  throwsDecode(() => new StreamDecoder({ label: "blue" }).feed(labelled), "label");
  throwsDecode(
    () => new StreamDecoder({ role: "dialer", label: "red" }).feed(labelled),
    "unknown-type",
  );
  assert.equal(new StreamDecoder({ label: "red" }).feed(labelled)?.label, "red");
});

Deno.test("StreamDecoder refuses oversized declarations before the bytes arrive", () => {
  const hugeNodes = capture(
    `06 ${hex(encode({ Join: false, Nodes: 10_000_000, UserStateLen: 0 }))}`,
  );
  throwsDecode(() => new StreamDecoder().feed(hugeNodes), "too-large");
  const hugeUser = capture(
    `06 ${hex(encode({ Join: false, Nodes: 0, UserStateLen: 0x7fffffff }))}`,
  );
  throwsDecode(() => new StreamDecoder().feed(hugeUser), "too-large");
  const hugeUserMsg = capture(`08 ${hex(encode({ UserMsgLen: 0x7fffffff }))}`);
  throwsDecode(() => new StreamDecoder().feed(hugeUserMsg), "too-large");
  const ring = new Keyring([new Uint8Array(16)]);
  throwsDecode(
    () => new StreamDecoder({ keyring: ring }).feed(capture(`0a ffffffff`)),
    "too-large",
  );
  throwsDecode(
    () => new StreamDecoder().feed(capture(`09 82 a4 "Algo" 00 a3 "Buf" db 7fffffff`)),
    "too-large",
  );
  const small = { frameMaxBytes: 100 };
  throwsDecode(
    () =>
      new StreamDecoder(small).feed(
        capture(`06 ${hex(encode({ Nodes: 1, UserStateLen: 0 }))} 87 ${"00".repeat(100)}`),
      ),
    "too-large",
  );
  const bomb = encodeStreamFrame(
    encodePushPull({ join: false, nodes: [], userState: new Uint8Array(100_000) }),
  );
  throwsDecode(() => new StreamDecoder({ decompressedMaxBytes: 50_000 }).feed(bomb), "too-large");
});

Deno.test("StreamDecoder reports truncation at end(), unknown types, and stays failed", () => {
  const dec = new StreamDecoder();
  assert.equal(dec.feed(CAPTURE_PUSH_PULL.subarray(0, 100)), null);
  throwsDecode(() => dec.end(), "truncated");
  new StreamDecoder().end();
  const bad = new StreamDecoder();
  throwsDecode(() => bad.feed(capture(`05 80`)), "unknown-type");
  throwsDecode(() => bad.feed(CAPTURE_PUSH_PULL), "unknown-type");
  throwsDecode(
    () => new StreamDecoder().feed(capture(`09 82 a4 "Algo" 00 a3 "Buf" a4 00830404`)),
    "unknown-type",
  );
  throwsDecode(() => new StreamDecoder().feed(capture(`09 01`)), "malformed");
});

Deno.test("decodePushPull() throws on truncation and on a wrong type byte", () => {
  throwsDecode(() => decodePushPull(CAPTURE_PUSH_PULL.subarray(0, 700)), "truncated");
  throwsDecode(() => decodePushPull(capture(`07`)), "unknown-type");
  throwsDecode(() => decodePushPull(new Uint8Array()), "unknown-type");
});
