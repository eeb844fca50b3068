import assert from "node:assert/strict";
import {
  decodeMessage,
  encodeMessage,
  type Message,
  MessageType,
  NodeState,
  readPushNodeState,
  readPushPullHeader,
  SHOAL_VSN,
  writePushNodeState,
  writePushPullHeader,
} from "../../../lib/gossip/wire/messages.ts";
import { decode, type MsgValue, Reader, utf8, Writer } from "../../../lib/gossip/wire/msgpack.ts";
import {
  capture,
  CAPTURE_ALIVE_PY,
  CAPTURE_DEAD,
  CAPTURE_JOIN_INTENT,
  CAPTURE_NODE_A,
  CAPTURE_PING,
  CAPTURE_PUSH_PULL_HEADER,
  CAPTURE_QUERY_BODY,
  hex,
  META_PY,
  throwsDecode,
} from "./_captures.ts";

const LOOPBACK = capture(`7f000001`);
const VSN = Uint8Array.from(SHOAL_VSN);

Deno.test("decodeMessage() reads capture (a), a real Go ping", () => {
  assert.deepEqual(decodeMessage(CAPTURE_PING), {
    type: MessageType.Ping,
    seqNo: 35,
    node: "py",
    sourceAddr: LOOPBACK,
    sourceNode: "a",
    sourcePort: 7946,
  });
});

Deno.test("encodeMessage() reproduces capture (a) byte for byte (sorted keys, omitempty)", () => {
  const ping: Message = {
    type: MessageType.Ping,
    seqNo: 35,
    node: "py",
    sourceAddr: LOOPBACK,
    sourceNode: "a",
    sourcePort: 7946,
  };
  assert.equal(hex(encodeMessage(ping)), hex(CAPTURE_PING));
  // Without source fields the map shrinks to two keys, as Go's omitempty does.
  assert.equal(
    hex(encodeMessage({ type: MessageType.Ping, seqNo: 1, node: "" })),
    "0082a44e6f6465a0a55365714e6f01",
  );
});

Deno.test("alive from capture (b) decodes and re-encodes byte for byte, Vsn as a byte string", () => {
  const alive = decodeMessage(CAPTURE_ALIVE_PY);
  assert.deepEqual(alive, {
    type: MessageType.Alive,
    incarnation: 1,
    node: "py",
    addr: LOOPBACK,
    port: 7950,
    meta: META_PY,
    vsn: VSN,
  });
  assert.equal(hex(encodeMessage(alive)), hex(CAPTURE_ALIVE_PY));
});

Deno.test("user message from capture (b) carries the serf join intent as an opaque payload", () => {
  const m = decodeMessage(CAPTURE_JOIN_INTENT);
  assert.equal(m.type, MessageType.User);
  if (m.type !== MessageType.User) return;
  assert.equal(m.payload[0], 1); // serf join intent
  assert.deepEqual(
    decode(m.payload.subarray(1)),
    new Map<string, MsgValue>([["LTime", 2], ["Node", utf8("a")]]),
  );
  assert.equal(hex(encodeMessage(m)), hex(CAPTURE_JOIN_INTENT));
});

Deno.test("dead from capture (h) decodes (From == Node: a graceful leave) and re-encodes", () => {
  const dead = decodeMessage(CAPTURE_DEAD);
  assert.deepEqual(dead, { type: MessageType.Dead, incarnation: 5, node: "b", from: "b" });
  assert.equal(hex(encodeMessage(dead)), hex(CAPTURE_DEAD));
});

Deno.test("push/pull header and node state from capture (g) round-trip byte for byte", () => {
  const r = new Reader(CAPTURE_PUSH_PULL_HEADER, 1);
  const header = readPushPullHeader(r);
  assert.deepEqual(header, { join: true, nodes: 2, userStateLen: 588 });
  const node = readPushNodeState(new Reader(CAPTURE_NODE_A));
  assert.deepEqual(node, {
    name: "a",
    addr: LOOPBACK,
    port: 7946,
    meta: capture(`ff82a26463a36c6162a4726f6c65a3776562`),
    incarnation: 1,
    state: NodeState.Alive,
    vsn: VSN,
  });
  const w = new Writer();
  w.u8(MessageType.PushPull);
  writePushPullHeader(w, header);
  writePushNodeState(w, node);
  assert.equal(hex(w.bytes()), hex(CAPTURE_PUSH_PULL_HEADER) + hex(CAPTURE_NODE_A));
});

Deno.test("push/pull header accepts the new codec's int16 UserStateLen (d1 024c)", () => {
  const newCodec = capture(`${hex(CAPTURE_PUSH_PULL_HEADER).replace("cd024c", "d1024c")}`);
  assert.equal(readPushPullHeader(new Reader(newCodec, 1)).userStateLen, 588);
});

Deno.test("readPushNodeState() refuses an unknown State", () => {
  const bad = capture(
    `${hex(CAPTURE_NODE_A).replace("a55374617465" + "00", "a55374617465" + "07")}`,
  );
  throwsDecode(() => readPushNodeState(new Reader(bad)), "malformed");
});

Deno.test("serf query body of capture (e) decodes as a msgpack map with old-codec Timeout", () => {
  const m = decode(CAPTURE_QUERY_BODY) as Map<string, MsgValue>;
  assert.equal(m.size, 11);
  assert.equal(m.get("ID"), 0x763ec19f);
  assert.equal(m.get("Timeout"), 3_200_000_000);
  assert.deepEqual(m.get("Payload"), utf8("only-python"));
  const filters = m.get("Filters") as MsgValue[];
  assert.equal((filters[0] as Uint8Array)[0], 1); // filter type 1 = tag
  assert.deepEqual(
    decode((filters[0] as Uint8Array).subarray(1)),
    new Map<string, MsgValue>([["Expr", utf8("py.*")], ["Tag", utf8("role")]]),
  );
});

const SAMPLES: Message[] = [
  { type: MessageType.Ping, seqNo: 0xffffffff, node: "n" },
  {
    type: MessageType.IndirectPing,
    seqNo: 9,
    target: LOOPBACK,
    port: 7946,
    node: "t",
    nack: true,
    sourceAddr: LOOPBACK,
    sourceNode: "me",
    sourcePort: 7950,
  },
  { type: MessageType.Ack, seqNo: 4, payload: capture(`0102`) },
  { type: MessageType.Ack, seqNo: 5, payload: null },
  { type: MessageType.Nack, seqNo: 6 },
  { type: MessageType.Suspect, incarnation: 3, node: "x", from: "y" },
  {
    type: MessageType.Alive,
    incarnation: 1,
    node: "z",
    addr: LOOPBACK,
    port: 1,
    meta: new Uint8Array(512),
    vsn: VSN,
  },
  { type: MessageType.Dead, incarnation: 2, node: "x", from: "y" },
  { type: MessageType.User, payload: capture(`00 81 a1 41 01`) },
  { type: MessageType.Err, error: "boom" },
];

Deno.test("encodeMessage()/decodeMessage() round-trip every message type", () => {
  for (const m of SAMPLES) {
    const wire = encodeMessage(m);
    assert.equal(wire[0], m.type);
    assert.deepEqual(decodeMessage(wire), m, MessageType[m.type]);
  }
});

Deno.test("Ack payload: nil stays null, an empty slice is written a0 and reads as empty", () => {
  assert.equal(
    hex(encodeMessage({ type: MessageType.Ack, seqNo: 1, payload: null })),
    "0282a75061796c6f6164c0a55365714e6f01",
  );
  assert.equal(
    hex(encodeMessage({ type: MessageType.Ack, seqNo: 1, payload: new Uint8Array() })),
    "0282a75061796c6f6164a0a55365714e6f01",
  );
  const m = decodeMessage(capture(`0282a75061796c6f6164a0a55365714e6f01`));
  assert.deepEqual(m, { type: MessageType.Ack, seqNo: 1, payload: new Uint8Array() });
});

Deno.test("decodeMessage() accepts str8 and bin for byte and string fields", () => {
  // Node as str8, SourceAddr as bin8, SeqNo as int32: what go-msgpack v2 may send.
  const m = decodeMessage(
    capture(`00 83 a4 "Node" d9 02 "py" a5 "SeqNo" d2 00000023 aa "SourceAddr" c4 04 7f000001`),
  );
  assert.deepEqual(m, { type: MessageType.Ping, seqNo: 35, node: "py", sourceAddr: LOOPBACK });
});

Deno.test("decodeMessage() ignores unknown keys and tolerates missing ones", () => {
  const m = decodeMessage(capture(`0b 82 a5 "Extra" c3 a5 "SeqNo" 07`));
  assert.deepEqual(m, { type: MessageType.Nack, seqNo: 7 });
  assert.deepEqual(decodeMessage(capture(`05 80`)), {
    type: MessageType.Dead,
    incarnation: 0,
    node: "",
    from: "",
  });
});

Deno.test("decodeMessage() throws DecodeError for empty, truncated, malformed and unknown input", () => {
  throwsDecode(() => decodeMessage(new Uint8Array()));
  throwsDecode(() => decodeMessage(CAPTURE_PING.subarray(0, 30)), "truncated");
  throwsDecode(() => decodeMessage(capture(`00 01`)), "malformed");
  throwsDecode(() => decodeMessage(capture(`00 81 a5 "SeqNo" a1 41`)), "malformed");
  throwsDecode(() => decodeMessage(capture(`04 81 a4 "Port" ce 00010000`)), "malformed");
  for (const t of [6, 7, 9, 10, 12, 14, 200, 244]) {
    throwsDecode(
      () => decodeMessage(capture(`${t.toString(16).padStart(2, "0") + "80"}`)),
      "unknown-type",
    );
  }
});

Deno.test("writePushNodeState() writes what the generic msgpack writer writes for the same map", () => {
  const states = [
    { name: "a", addr: LOOPBACK, port: 7946, meta: new Uint8Array(), incarnation: 1, vsn: VSN },
    {
      name: "ñode-" + "x".repeat(40),
      addr: new Uint8Array(16).fill(0xfe),
      port: 65535,
      meta: new Uint8Array(300).fill(7),
      incarnation: 2 ** 32 - 1,
      vsn: new Uint8Array(),
    },
  ];
  for (const [i, s] of states.entries()) {
    const node = { ...s, state: i === 0 ? NodeState.Alive : NodeState.Left };
    const fast = new Writer();
    writePushNodeState(fast, node);
    const generic = new Writer();
    generic.value({
      Addr: node.addr,
      Incarnation: node.incarnation,
      Meta: node.meta,
      Name: node.name,
      Port: node.port,
      State: node.state,
      Vsn: node.vsn,
    });
    assert.equal(hex(fast.bytes()), hex(generic.bytes()));
    assert.deepEqual(readPushNodeState(new Reader(fast.bytes())), node);
  }
});
