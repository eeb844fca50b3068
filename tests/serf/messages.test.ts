import assert from "node:assert/strict";
import {
  decodeRelay,
  decodeSerfMessage,
  encodeRelay,
  encodeSerfMessage,
  type QueryMessage,
  type SerfMessage,
  SerfMessageType,
} from "../../lib/serf/messages.ts";
import { SerfDecodeError } from "../../lib/serf/errors.ts";
import { capture, hex } from "../_support/bytes.ts";
import { Writer } from "../../lib/gossip/wire/msgpack.ts";

const te = new TextEncoder();

Deno.test("encodeSerfMessage() join intent matches capture (b)", () => {
  const golden = capture(`01 82 a5"LTime" 02 a4"Node" a1"a"`);
  const m = { type: SerfMessageType.Join, lTime: 2, node: "a" } as const;
  assert.equal(hex(encodeSerfMessage(m)), hex(golden));
  assert.deepEqual(decodeSerfMessage(golden), m);
});

Deno.test("encodeSerfMessage() leave intent matches capture (h)", () => {
  const golden = capture(`00 83 a5"LTime" 06 a4"Node" a1"b" a5"Prune" c2`);
  const m = { type: SerfMessageType.Leave, lTime: 6, node: "b", prune: false } as const;
  assert.equal(hex(encodeSerfMessage(m)), hex(golden));
  assert.deepEqual(decodeSerfMessage(golden), m);
});

const queryE = capture(`04 8b
  a4"Addr" a4 7f000001   a7"Filters" 91 b5 01 82 a4"Expr" a4"py.*" a3"Tag" a4"role"
  a5"Flags" 01   a2"ID" ce 763ec19f   a5"LTime" 04   a4"Name" a5"hello"
  a7"Payload" ab"only-python"   a4"Port" cd 1f0b   ab"RelayFactor" 00   aa"SourceNode" a1"b"
  a7"Timeout" ce bebc2000`);

Deno.test("decodeSerfMessage() query with a tag filter matches capture (e) and re-encodes identically", () => {
  const q = decodeSerfMessage(queryE) as QueryMessage;
  assert.equal(q.type, SerfMessageType.Query);
  assert.equal(q.id, 0x763ec19f);
  assert.equal(q.timeoutNs, 3_200_000_000);
  assert.equal(q.port, 7947);
  assert.equal(q.sourceNode, "b");
  assert.deepEqual([...q.addr], [127, 0, 0, 1]);
  assert.equal(q.filters.length, 1);
  assert.equal(hex(q.filters[0]!), hex(capture(`01 82 a4"Expr" a4"py.*" a3"Tag" a4"role"`)));
  assert.equal(hex(encodeSerfMessage(q)), hex(queryE));
});

Deno.test("decodeSerfMessage() accepts the v2 codec's int64 Timeout and nil Filters", () => {
  const q = decodeSerfMessage(queryE) as QueryMessage;
  const v2 = encodeSerfMessage({ ...q, filters: [] });
  const i = v2.length - 5; // ce bebc2000 → d3 00000000bebc2000
  const patched = new Uint8Array([...v2.subarray(0, i), 0xd3, 0, 0, 0, 0, 0xbe, 0xbc, 0x20, 0]);
  const back = decodeSerfMessage(patched) as QueryMessage;
  assert.equal(back.timeoutNs, 3_200_000_000);
  assert.deepEqual(back.filters, []);
  assert.ok(hex(v2, " ").includes(hex(capture(`a7"Filters" c0`), " ")));
});

Deno.test("encodeSerfMessage() query ack and response match capture (f)", () => {
  const ack = capture(
    `08 05 85 a5"Flags" 01 a4"From" a2"py" a2"ID" ce763ec19f a5"LTime" 04 a7"Payload" c0`,
  )
    .subarray(1);
  const base = {
    type: SerfMessageType.QueryResponse,
    lTime: 4,
    id: 0x763ec19f,
    from: "py",
  } as const;
  assert.equal(hex(encodeSerfMessage({ ...base, flags: 1, payload: null })), hex(ack));
  const resp = capture(
    `05 85 a5"Flags" 00 a4"From" a2"py" a2"ID" ce763ec19f a5"LTime" 04 a7"Payload" bd"hello-from-python:only-python"`,
  );
  const payload = te.encode("hello-from-python:only-python");
  assert.equal(hex(encodeSerfMessage({ ...base, flags: 0, payload })), hex(resp));
  assert.deepEqual(decodeSerfMessage(resp), { ...base, flags: 0, payload });
});

Deno.test("encodeSerfMessage() push/pull user state matches capture (g)", () => {
  const golden = capture(`02 86 aa"EventLTime" 01 a6"Events" dc 0200 c0 x512 a5"LTime" 02
    ab"LeftMembers" 90 aa"QueryLTime" 03 ac"StatusLTimes" 82 a1"a" 00 a1"b" 01`);
  const m: SerfMessage = {
    type: SerfMessageType.PushPull,
    eventLTime: 1,
    events: Array(512).fill(null),
    lTime: 2,
    leftMembers: [],
    queryLTime: 3,
    statusLTimes: new Map([["a", 0], ["b", 1]]),
  };
  assert.equal(hex(encodeSerfMessage(m)), hex(golden));
  assert.deepEqual(decodeSerfMessage(golden), m);
});

Deno.test("decodeSerfMessage() user event from capture (c) keeps the payload as bytes", () => {
  const payload = new Uint8Array(300).fill(0x78);
  const w = new Writer();
  w.raw(capture(`03 84 a2"CC" c3 a5"LTime" 0b a4"Name" a6"bigevt" a7"Payload" da 012c`));
  w.raw(payload);
  const m = decodeSerfMessage(w.bytes());
  assert.deepEqual(m, {
    type: SerfMessageType.UserEvent,
    cc: true,
    lTime: 11,
    name: "bigevt",
    payload,
  });
  assert.equal(hex(encodeSerfMessage(m)), hex(w.bytes()));
});

Deno.test("encodeRelay() wraps a response and decodeRelay() returns the exact inner bytes", () => {
  const inner = encodeSerfMessage({
    type: SerfMessageType.QueryResponse,
    lTime: 9,
    id: 5,
    from: "x",
    flags: 0,
    payload: te.encode("hi"),
  });
  const header = {
    destIp: Uint8Array.of(127, 0, 0, 1),
    destPort: 7946,
    destZone: "",
    destName: "a",
  };
  const bytes = encodeRelay(header, inner);
  assert.equal(
    hex(bytes.subarray(0, 40)),
    hex(
      capture(
        `09 82 a8"DestAddr" 83 a2"IP" a4 7f000001 a4"Port" cd 1f0a a4"Zone" a0 a8"DestName" a1"a"`,
      ).subarray(0, 40),
    ),
  );
  const back = decodeRelay(bytes);
  assert.deepEqual(back.header, header);
  assert.equal(hex(back.inner), hex(inner));
});

Deno.test("decodeSerfMessage() refuses garbage, unknown types and huge Lamport times with SerfDecodeError", () => {
  assert.throws(() => decodeSerfMessage(Uint8Array.of(1, 0xc1)), SerfDecodeError);
  assert.throws(() => decodeSerfMessage(Uint8Array.of(42, 0x80)), SerfDecodeError);
  assert.throws(() => decodeSerfMessage(new Uint8Array(0)), SerfDecodeError);
  const big = capture(`01 82 a5"LTime" cf 0020000000000000 a4"Node" a1"a"`);
  assert.throws(() => decodeSerfMessage(big), SerfDecodeError);
  assert.throws(
    () => decodeSerfMessage(capture(`01 82 a5"LTime" a1"x" a4"Node" a1"a"`)),
    SerfDecodeError,
  );
});
