import assert from "node:assert/strict";
import {
  decode,
  encode,
  type EncValue,
  type MsgValue,
  Reader,
} from "../../lib/gossip/wire/msgpack.ts";
import { RPC_ERRORS, RpcSession } from "../../lib/serf/rpc/session.ts";
import { RpcFrameReader, valueEnd } from "../../lib/serf/rpc/framing.ts";
import { MemoryLogger } from "../../lib/log/logger.ts";
import { makeSerf, nodeInfo } from "../_support/serf_harness.ts";
import { capture } from "../_support/bytes.ts";
import { LogTap } from "../../lib/log/tap.ts";

function session(authKey?: string, logs?: LogTap) {
  const fx = makeSerf("a", 7946, { tags: new Map([["role", "web"]]) });
  const out: MsgValue[] = [];
  let closed = false;
  const s = new RpcSession({
    serf: fx.serf,
    log: new MemoryLogger(),
    ...(authKey ? { authKey } : {}),
    ...(logs ? { logs } : {}),
    send: (b) => {
      const r = new Reader(b);
      while (r.remaining > 0) out.push(r.read());
    },
    close: () => (closed = true),
  });
  const req = (command: string, seq: number, body?: EncValue) => {
    s.feed(encode({ Command: command, Seq: seq }));
    if (body !== undefined) s.feed(encode(body));
  };
  const err = (i: number) =>
    new TextDecoder().decode((out[i] as Map<string, MsgValue>).get("Error") as Uint8Array);
  return { ...fx, s, out, req, err, isClosed: () => closed };
}

Deno.test("RpcSession answers the captured handshake and members-filtered exchange (§9)", () => {
  const t = session();
  t.s.feed(capture(`82 a7"Command" a9"handshake" a3"Seq" 00 81 a7"Version" 01`));
  assert.equal(t.err(0), "");
  t.s.feed(
    capture(
      `82 a7"Command" b0"members-filtered" a3"Seq" 01 83 a4"Tags" 80 a6"Status" a0 a4"Name" a0`,
    ),
  );
  assert.equal(t.err(1), "");
  const members = (t.out[2] as Map<string, MsgValue>).get("Members") as Map<string, MsgValue>[];
  assert.equal(members.length, 1);
  const m = members[0]!;
  assert.equal(new TextDecoder().decode(m.get("Status") as Uint8Array), "alive");
  assert.deepEqual([...(m.get("Addr") as Uint8Array)], [127, 0, 0, 1]);
  assert.equal(m.get("DelegateCur"), 5);
});

Deno.test("RpcSession requires the handshake first and closes the connection", () => {
  const t = session();
  t.req("members", 3);
  assert.equal(t.err(0), RPC_ERRORS.handshakeRequired);
  assert.ok(t.isClosed());
});

Deno.test("RpcSession closes on an unsupported command and on malformed bytes only", () => {
  const t = session();
  t.req("handshake", 0, { Version: 1 });
  t.req("bogus", 1);
  assert.equal(t.err(1), RPC_ERRORS.unsupportedCommand);
  assert.ok(t.isClosed());
  const u = session();
  u.req("handshake", 0, { Version: 1 });
  u.s.feed(Uint8Array.of(0xc1));
  assert.ok(u.isClosed());
});

Deno.test("RpcSession enforces the auth key after the handshake", () => {
  const t = session("sekret");
  t.req("handshake", 0, { Version: 1 });
  t.req("members", 1);
  assert.equal(t.err(1), RPC_ERRORS.authRequired);
  t.req("auth", 2, { AuthKey: "wrong" });
  assert.equal(t.err(2), RPC_ERRORS.invalidAuthToken);
  t.req("auth", 3, { AuthKey: "sekret" });
  assert.equal(t.err(3), "");
  t.req("members", 4);
  assert.equal(t.err(4), "");
  assert.ok(!t.isClosed());
});

Deno.test("RpcSession auth without a key accepts only an empty token, as the agent", () => {
  const t = session();
  t.req("handshake", 0, { Version: 1 });
  t.req("auth", 1, { AuthKey: "anything" });
  assert.equal(t.err(1), RPC_ERRORS.invalidAuthToken);
  t.req("auth", 2, { AuthKey: "" });
  assert.equal(t.err(2), "");
});

Deno.test("RpcSession monitor replays and follows the log at its level until stop", () => {
  const tap = new LogTap({ capacity: 2, nowMs: () => Date.UTC(2026, 0, 2, 3, 4, 5) });
  const log = tap.wrap(new MemoryLogger()).with({ node: "a" });
  log.info("dropped.from.ring"), log.debug("old.debug"), log.warn("old.warn", { n: 1 });
  const t = session(undefined, tap);
  const lines = () =>
    t.out.filter((v) => v instanceof Map && v.has("Log")).map((v) =>
      new TextDecoder().decode((v as Map<string, MsgValue>).get("Log") as Uint8Array)
    );
  const lastError = () => t.err(t.out.length - 1);
  t.req("handshake", 0, { Version: 1 });
  t.req("monitor", 1, { LogLevel: "loud" });
  assert.equal(lastError(), "Unknown log level: LOUD");
  t.req("monitor", 2, { LogLevel: "info" });
  assert.equal(lastError(), "");
  assert.equal(lines().length, 1, "the ring holds two records, one at INFO or above");
  assert.match(lines()[0]!, /^\d{4}\/01\/0\d \d\d:04:05 \[WARN\] old\.warn node=a n=1$/);
  t.req("monitor", 3, { LogLevel: "debug" });
  assert.equal(lastError(), RPC_ERRORS.monitorExists);
  log.debug("new.debug"), log.error("new.error", { error: new Error("boom") });
  assert.match(lines()[1]!, /\[ERR\] new\.error node=a error=boom$/);
  assert.equal(lines().length, 2);
  t.req("stop", 4, { Stop: 2 });
  log.error("after.stop");
  assert.equal(lines().length, 2);
  t.req("monitor", 5, { LogLevel: "DEBUG" });
  assert.match(lines().at(-1)!, /\[ERR\] after\.stop/, "a new monitor replays the ring");
});

Deno.test("RpcSession members-filtered anchors regexps like the agent (^expr$)", () => {
  const t = session();
  t.serf.notifyJoin(nodeInfo("web-1", 7947, { role: "web" }));
  t.serf.notifyJoin(nodeInfo("db-1", 7948, { role: "db" }));
  t.req("handshake", 0, { Version: 1 });
  t.req("members-filtered", 1, { Name: "", Status: "alive", Tags: { role: "d." } });
  const names = ((t.out[2] as Map<string, MsgValue>).get("Members") as Map<string, MsgValue>[])
    .map((m) => new TextDecoder().decode(m.get("Name") as Uint8Array));
  assert.deepEqual(names, ["db-1"]);
  t.req("members-filtered", 2, { Name: "(", Status: "", Tags: {} });
  assert.equal(t.err(3), "Invalid regular expression");
});

Deno.test("RpcSession stream delivers filtered events and respond answers a streamed query", () => {
  const t = session();
  t.req("handshake", 0, { Version: 1 });
  t.req("stream", 1, { Type: "user:deploy,query" });
  assert.equal(t.err(1), "");
  t.serf.userEvent("other", new Uint8Array(0));
  t.serf.userEvent("deploy", Uint8Array.of(1));
  assert.equal(t.out.length, 4, "header + one record");
  const rec = t.out[3] as Map<string, MsgValue>;
  assert.equal(new TextDecoder().decode(rec.get("Name") as Uint8Array), "deploy");
  let answer = "";
  t.serf.query("hello", Uint8Array.of(), {
    onResponse: (r) => (answer = new TextDecoder().decode(r.payload)),
    endEarly: false,
  });
  const q = t.out[5] as Map<string, MsgValue>;
  assert.equal(new TextDecoder().decode(q.get("Event") as Uint8Array), "query");
  t.req("respond", 2, { ID: q.get("ID") as number, Payload: new TextEncoder().encode("pong") });
  assert.equal(t.err(6), "");
  assert.equal(answer, "pong");
  t.req("respond", 3, { ID: 999, Payload: new Uint8Array() });
  assert.equal(t.err(7), RPC_ERRORS.invalidQueryId);
  t.req("stream", 4, { Type: "bogus" });
  assert.equal(t.err(8), RPC_ERRORS.invalidFilter);
});

Deno.test("RpcFrameReader waits for complete values and bounds request size", () => {
  const bytes = encode({ Command: "members", Seq: 1 });
  const r = new RpcFrameReader(64);
  r.push(bytes.subarray(0, 5));
  assert.equal(r.next(), undefined);
  r.push(bytes.subarray(5));
  assert.ok(r.next() instanceof Map);
  assert.equal(valueEnd(capture(`d9 03 "abc" c4 02 0102`), 0), 5);
  assert.deepEqual(decode(capture(`c4 02 0102`)), Uint8Array.of(1, 2));
  const big = new RpcFrameReader(16);
  big.push(capture(`da 0100`));
  big.push(new Uint8Array(20));
  assert.throws(() => big.next());
});
