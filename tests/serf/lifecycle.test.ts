import assert from "node:assert/strict";
import { makeSerf, nodeInfo } from "../_support/serf_harness.ts";
import {
  decodeSerfMessage,
  encodeSerfMessage,
  type QueryMessage,
  type QueryResponseMessage,
  SerfMessageType,
} from "../../lib/serf/messages.ts";
import {
  decodeConflictResponse,
  decodeKeyResponse,
  encodeConflictResponse,
  encodeKeyRequest,
} from "../../lib/serf/internal_messages.ts";
import { MemberStatus } from "../../lib/serf/members.ts";
import { SerfStateError } from "../../lib/serf/errors.ts";
import type { SerfKeyring } from "../../lib/serf/internal_queries.ts";

const te = new TextEncoder();

Deno.test("Serf.leave() goes leaving → intent gossiped → memberlist leave → left", async () => {
  const { serf, handle, clock } = makeSerf("b", 7947);
  serf.notifyJoin(nodeInfo("a", 7946));
  const p = serf.leave();
  assert.equal(serf.state, "leaving");
  assert.equal(serf.table.get("b")!.status, MemberStatus.Leaving);
  const sent = serf.getBroadcasts(2, 1400).map(decodeSerfMessage);
  assert.deepEqual(sent, [{ type: SerfMessageType.Leave, lTime: 1, node: "b", prune: false }]);
  for (let i = 0; i < 3; i++) serf.getBroadcasts(2, 1400); // retransmit limit 4 × 1
  await clock.advanceUntil(() => handle.leaves.length === 1, clock.nowMs() + 100);
  assert.deepEqual(handle.leaves, [5000]);
  assert.equal(serf.state, "leaving");
  await clock.advance(1000);
  await p;
  assert.equal(serf.state, "left");
  await assert.rejects(() => serf.leave(), SerfStateError);
});

Deno.test("Serf.leave() alone skips the intent wait; with peers it times out after broadcastTimeoutMs", async () => {
  const alone = makeSerf("b", 7947);
  const p1 = alone.serf.leave();
  await alone.clock.advanceUntil(() => alone.handle.leaves.length === 1, alone.clock.nowMs() + 10);
  assert.equal(alone.handle.leaves.length, 1);
  await alone.clock.advance(1000);
  await p1;
  const busy = makeSerf("b", 7947);
  busy.serf.notifyJoin(nodeInfo("a", 7946));
  const p2 = busy.serf.leave();
  await busy.clock.advance(4999);
  assert.equal(busy.handle.leaves.length, 0);
  await busy.clock.advance(1);
  await busy.clock.advanceUntil(() => busy.handle.leaves.length === 1, busy.clock.nowMs() + 10);
  await busy.clock.advance(1000);
  await p2;
  assert.equal(busy.serf.state, "left");
});

Deno.test("Serf refutes a leave intent about itself with a new join intent", () => {
  const { serf } = makeSerf("a", 7946);
  const leave = encodeSerfMessage({
    type: SerfMessageType.Leave,
    lTime: 9,
    node: "a",
    prune: false,
  });
  serf.notifyMsg(leave, { host: "127.0.0.1", port: 7947 });
  assert.equal(serf.table.get("a")!.status, MemberStatus.Alive);
  const out = serf.getBroadcasts(2, 1400).map(decodeSerfMessage);
  assert.deepEqual(out, [{ type: SerfMessageType.Join, lTime: 10, node: "a" }]);
  assert.equal(serf.memberClock.time(), 11);
});

Deno.test("Serf.forceLeave() turns a failed member into left and prune erases it", () => {
  const { serf } = makeSerf("a", 7946);
  const types: string[] = [];
  serf.subscribe((e) => types.push(e.type));
  serf.notifyJoin(nodeInfo("b", 7947));
  serf.notifyLeave(nodeInfo("b", 7947));
  serf.forceLeave("b");
  assert.equal(serf.table.get("b")!.status, MemberStatus.Left);
  serf.forceLeave("b", true);
  assert.equal(serf.table.get("b"), undefined);
  assert.deepEqual(types, ["member-join", "member-failed", "member-leave", "member-reap"]);
});

Deno.test("Serf reaper erases failed members after reconnectTimeoutMs; reconnect retries via join", async () => {
  const { serf, handle, clock } = makeSerf("a", 7946, {
    config: { reconnectTimeoutMs: 60_000, reconnectIntervalMs: 1000, reapIntervalMs: 1000 },
  });
  serf.notifyJoin(nodeInfo("b", 7947));
  serf.notifyLeave(nodeInfo("b", 7947));
  await clock.advance(1000);
  assert.deepEqual(handle.joins, [["b/127.0.0.1:7947"]], "1 failed / 1 alive: always retried");
  await clock.advance(59_000);
  assert.ok(serf.table.get("b"));
  await clock.advance(1000);
  assert.equal(serf.table.get("b"), undefined);
  serf.shutdown();
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("Serf answers _serf_conflict with the member record, and not about its own name", () => {
  const { serf, handle } = makeSerf("py", 7950);
  serf.notifyJoin(nodeInfo("b", 7947, { role: "db" }));
  const q = (id: number, name: string): QueryMessage => ({
    type: SerfMessageType.Query,
    lTime: id,
    id,
    addr: Uint8Array.of(127, 0, 0, 1),
    port: 7946,
    sourceNode: "a",
    filters: [],
    flags: 0,
    relayFactor: 0,
    timeoutNs: 1e9,
    name: "_serf_conflict",
    payload: te.encode(name),
  });
  serf.notifyMsg(encodeSerfMessage(q(1, "b")), { host: "127.0.0.1", port: 7946 });
  serf.notifyMsg(encodeSerfMessage(q(2, "py")), { host: "127.0.0.1", port: 7946 });
  serf.notifyMsg(encodeSerfMessage(q(3, "zz")), { host: "127.0.0.1", port: 7946 });
  assert.equal(handle.sent.length, 2);
  const r1 = decodeSerfMessage(handle.sent[0]!.payload) as QueryResponseMessage;
  const m = decodeConflictResponse(r1.payload!)!;
  assert.equal(m.name, "b");
  assert.equal(m.port, 7947);
  assert.equal(m.status, 1);
  assert.deepEqual(m.vsn, [1, 5, 2, 2, 5, 5]);
  const r3 = decodeSerfMessage(handle.sent[1]!.payload) as QueryResponseMessage;
  assert.equal(decodeConflictResponse(r3.payload!), null);
});

function keyQuery(name: string, key: Uint8Array, id: number): Uint8Array {
  return encodeSerfMessage({
    type: SerfMessageType.Query,
    lTime: id,
    id,
    addr: Uint8Array.of(127, 0, 0, 1),
    port: 7946,
    sourceNode: "a",
    filters: [],
    flags: 1,
    relayFactor: 0,
    timeoutNs: 1e9,
    name,
    payload: encodeKeyRequest(key),
  });
}

Deno.test("Serf answers key queries with Result false when there is no keyring, and acks _serf_ping", () => {
  const { serf, handle } = makeSerf("py", 7950);
  serf.notifyMsg(keyQuery("_serf_install-key", new Uint8Array(16), 1), {
    host: "127.0.0.1",
    port: 1,
  });
  serf.notifyMsg(keyQuery("_serf_list-keys", new Uint8Array(0), 2), { host: "127.0.0.1", port: 1 });
  serf.notifyMsg(keyQuery("_serf_ping", new Uint8Array(0), 3), { host: "127.0.0.1", port: 1 });
  const msgs = handle.sent.map((s) => decodeSerfMessage(s.payload) as QueryResponseMessage);
  assert.deepEqual(msgs.map((m) => [m.lTime, m.flags]), [[1, 1], [1, 0], [2, 1], [2, 0], [3, 1]]);
  const install = decodeKeyResponse(msgs[1]!.payload!);
  assert.deepEqual(install, {
    result: false,
    message: "No keyring to modify (encryption not enabled)",
    keys: [],
    primaryKey: "",
  });
  assert.equal(
    decodeKeyResponse(msgs[3]!.payload!).message,
    "Keyring is empty (encryption not enabled)",
  );
});

Deno.test("Serf runs key queries against a supplied keyring and truncates a long list", () => {
  const keys: Uint8Array[] = [new Uint8Array(16).fill(1)];
  const keyring: SerfKeyring = {
    install: (k) => void keys.push(k),
    use: (k) => {
      const i = keys.findIndex((x) => x.every((b, j) => b === k[j]));
      if (i < 0) throw new Error("Requested key is not in the keyring");
      keys.unshift(...keys.splice(i, 1));
    },
    remove: () => {
      throw new Error("Removing the primary key is not allowed");
    },
    keys: () => keys,
  };
  const { serf, handle } = makeSerf("py", 7950, { keyring });
  const responses = () =>
    handle.sent.map((s) => decodeSerfMessage(s.payload) as QueryResponseMessage).filter((m) =>
      m.flags === 0
    )
      .map((m) => decodeKeyResponse(m.payload!));
  serf.notifyMsg(keyQuery("_serf_install-key", new Uint8Array(16).fill(2), 1), {
    host: "127.0.0.1",
    port: 1,
  });
  serf.notifyMsg(keyQuery("_serf_use-key", new Uint8Array(16).fill(9), 2), {
    host: "127.0.0.1",
    port: 1,
  });
  serf.notifyMsg(keyQuery("_serf_remove-key", new Uint8Array(16).fill(1), 3), {
    host: "127.0.0.1",
    port: 1,
  });
  for (let i = 0; i < 60; i++) keys.push(new Uint8Array(32).fill(i));
  serf.notifyMsg(keyQuery("_serf_list-keys", new Uint8Array(0), 4), { host: "127.0.0.1", port: 1 });
  const [inst, use, rem, list] = responses();
  assert.equal(inst!.result, true);
  assert.deepEqual([use!.result, use!.message], [false, "Requested key is not in the keyring"]);
  assert.deepEqual([rem!.result, rem!.message], [false, "Removing the primary key is not allowed"]);
  assert.equal(list!.primaryKey, btoa(String.fromCharCode(...new Uint8Array(16).fill(1))));
  assert.ok(list!.keys.length > 0 && list!.keys.length < 62);
  assert.match(list!.message, /^truncated key list response, showing first \d+ of 62 keys$/);
});

Deno.test("Serf name conflict: a majority of responses for another address shuts us down", () => {
  let reason = "";
  const { serf } = makeSerf("a", 7946, { onShutdown: (r) => (reason = r) });
  serf.notifyJoin(nodeInfo("b", 7947));
  serf.notifyJoin(nodeInfo("c", 7948));
  serf.notifyConflict(nodeInfo("a", 7946), nodeInfo("a", 9999, {}, "127.0.0.9"));
  const q = serf.getBroadcasts(2, 1400).map(decodeSerfMessage)[0] as QueryMessage;
  assert.equal(q.name, "_serf_conflict");
  const other = { ...nodeInfo("a", 9999, {}, "127.0.0.9"), status: 1 };
  for (const from of ["b", "c"]) {
    const payload = encodeConflictResponse({ ...other, tags: new Map(), vsn: [1, 5, 2, 2, 5, 5] });
    serf.notifyMsg(
      encodeSerfMessage({
        type: SerfMessageType.QueryResponse,
        lTime: q.lTime,
        id: q.id,
        from,
        flags: 0,
        payload,
      }),
      { host: "127.0.0.1", port: 1 },
    );
  }
  assert.equal(serf.state, "shutdown");
  assert.equal(
    reason,
    'node name "a" is already used by a live member at 127.0.0.9:9999; pick a unique --node',
  );
});

Deno.test("Serf name conflict: a majority for our own address keeps us running", () => {
  const { serf } = makeSerf("a", 7946);
  serf.notifyJoin(nodeInfo("b", 7947));
  serf.notifyConflict(nodeInfo("a", 7946), nodeInfo("a", 9999));
  const q = serf.getBroadcasts(2, 1400).map(decodeSerfMessage)[0] as QueryMessage;
  const payload = encodeConflictResponse({
    ...nodeInfo("a", 7946),
    status: 1,
    tags: new Map(),
    vsn: [1, 5, 2, 2, 5, 5],
  });
  serf.notifyMsg(
    encodeSerfMessage({
      type: SerfMessageType.QueryResponse,
      lTime: q.lTime,
      id: q.id,
      from: "b",
      flags: 0,
      payload,
    }),
    { host: "127.0.0.1", port: 1 },
  );
  assert.equal(serf.state, "alive");
});

Deno.test("Serf.setTags() refuses oversized tags and re-announces valid ones", () => {
  const { serf, handle } = makeSerf();
  serf.setTags(new Map([["role", "web"]]));
  assert.equal(handle.metaUpdates, 1);
  assert.equal(serf.nodeMeta(512)[0], 0xff);
  assert.throws(() => serf.setTags(new Map([["x", "y".repeat(600)]])));
  assert.equal(serf.tags.get("role"), "web");
});

Deno.test("Serf.ackPayload() is the initial coordinate with float64 fields (§7.13)", () => {
  const { serf } = makeSerf();
  const p = serf.ackPayload()!;
  assert.equal(p[0], 1);
  assert.equal(p.length, 1 + 1 + 11 + 9 + 6 + 9 + 7 + 9 + 4 + 1 + 8 * 9);
});
