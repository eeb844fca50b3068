import assert from "node:assert/strict";
import { seededPrng } from "../../lib/clock.ts";
import { type GossipConfig, gossipConfig } from "../../lib/gossip/config.ts";
import { createGossipNode, type GossipNode } from "../../lib/gossip/node.ts";
import type { Address, GossipDelegate, NodeInfo, StreamConn } from "../../lib/gossip/types.ts";
import {
  encodeMessage,
  encodeStreamFrame,
  encodeUserStreamMessage,
  Keyring,
  MessageType,
  NodeState,
  StreamDecoder,
  type StreamFrame,
} from "../../lib/gossip/wire/mod.ts";
import { emptyDelegate } from "../_support/cluster.ts";
import { SimNetwork } from "../_support/sim_network.ts";
import { VirtualClock } from "../_support/virtual_clock.ts";

interface Peer {
  node: GossipNode;
  address: Address;
  messages: Uint8Array[];
  events: string[];
}

interface PeerOptions {
  config?: GossipConfig;
  keyring?: Keyring;
  label?: string;
  delegate?: Partial<GossipDelegate>;
  resolveHost?: (name: string) => Promise<string[]>;
}

function world(seed = 1) {
  const clock = new VirtualClock();
  const net = new SimNetwork(clock, { seed });
  const peers: Peer[] = [];
  const add = (name: string, o: PeerOptions = {}): Peer => {
    const address = { host: `10.2.0.${peers.length + 1}`, port: 7946 };
    const messages: Uint8Array[] = [];
    const events: string[] = [];
    const node = createGossipNode({
      name,
      transport: net.transport(address),
      config: o.config ?? gossipConfig("lan"),
      delegate: { ...emptyDelegate(), notifyMsg: (p) => messages.push(p), ...o.delegate },
      events: {
        notifyJoin: (n: NodeInfo) => events.push(`join ${n.name}`),
        notifyLeave: (n: NodeInfo) => events.push(`${NodeState[n.state]} ${n.name}`),
        notifyUpdate: (n: NodeInfo) => events.push(`update ${n.name} ${[...n.meta]}`),
      },
      clock,
      prng: seededPrng(seed + peers.length),
      ...(o.keyring ? { keyring: o.keyring } : {}),
      ...(o.label ? { label: o.label } : {}),
      ...(o.resolveHost ? { resolveHost: o.resolveHost } : {}),
    });
    node.start();
    const peer = { node, address, messages, events };
    peers.push(peer);
    return peer;
  };
  const stop = async () => {
    for (const p of peers) await p.node.shutdown();
    await clock.advance(60_000);
  };
  return { clock, net, add, stop };
}

async function joined(w: ReturnType<typeof world>, from: Peer, to: Peer): Promise<number> {
  const p = from.node.join([`${to.address.host}:${to.address.port}`]);
  await w.clock.advance(1000);
  return await p;
}

async function exchange(
  w: ReturnType<typeof world>,
  conn: StreamConn,
  frame: Uint8Array,
): Promise<StreamFrame | null> {
  await conn.writeAll(frame);
  const decoder = new StreamDecoder({ role: "dialer" });
  const buf = new Uint8Array(4096);
  const read = (async () => {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return null;
      const f = decoder.feed(buf.subarray(0, n));
      if (f) return f;
    }
  })();
  await w.clock.advance(100);
  conn.close();
  await w.clock.advance(100);
  return await read;
}

Deno.test("GossipNode.join() push/pulls and both nodes see each other alive", async () => {
  const w = world();
  const a = w.add("a"), b = w.add("b");
  assert.equal(await joined(w, b, a), 1);
  await w.clock.advance(2000);
  for (const p of [a, b]) {
    assert.deepEqual(p.node.members().map((m) => [m.name, m.state]).sort(), [["a", 0], ["b", 0]]);
    assert.equal(p.node.numActive(), 2);
  }
  assert.ok(a.events.includes("join b"));
  const m = b.node.metrics();
  assert.equal(m.pushPulls, 1);
  assert.ok(m.packetsOut > 0 && m.packetsIn > 0 && m.bytesOut > 0);
  await w.stop();
});

Deno.test("GossipNode.join() resolves DNS names through resolveHost", async () => {
  const w = world();
  const a = w.add("a");
  const b = w.add("b", {
    resolveHost: (name) => Promise.resolve(name === "seed.local" ? ["10.2.0.1"] : []),
  });
  const p = b.node.join(["seed.local:7946", "nowhere.local"]);
  await w.clock.advance(1000);
  assert.equal(await p, 1);
  assert.equal(a.node.numActive(), 2);
  await w.stop();
});

Deno.test("GossipNode.join() resolves to 0 when nobody answers", async () => {
  const w = world();
  const a = w.add("a");
  const p = a.node.join(["10.2.0.99:7946", "not an address"]);
  await w.clock.advance(15_000);
  assert.equal(await p, 0);
  assert.equal(a.node.metrics().pushPullFailures, 1);
  await w.stop();
});

Deno.test("GossipNode counts and drops malformed packets", async () => {
  const w = world();
  const a = w.add("a");
  const raw = w.net.transport({ host: "10.2.0.50", port: 7946 });
  raw.start({ onPacket: () => {}, onStream: (c) => c.close() });
  raw.sendPacket(Uint8Array.of(0x00, 0xc1), a.address);
  raw.sendPacket(Uint8Array.of(0x63), a.address);
  raw.sendPacket(Uint8Array.of(12, 0, 0, 0, 0, 0), a.address);
  await w.clock.advance(100);
  const m = a.node.metrics();
  assert.equal(m.packetsIn, 3);
  assert.equal(Object.values(m.dropped).reduce((x, y) => x + y, 0), 3);
  assert.equal(m.dropped["crc"], 1);
  assert.equal(a.node.members().length, 1);
  await raw.close();
  await w.stop();
});

Deno.test("GossipNode with a keyring talks to its keyring peers and refuses plaintext", async () => {
  const key = new Uint8Array(32).fill(7);
  const w = world();
  const a = w.add("a", { keyring: new Keyring([key]) });
  const b = w.add("b", { keyring: new Keyring([key]) });
  const c = w.add("c");
  assert.equal(await joined(w, b, a), 1);
  assert.equal(await joined(w, c, a), 0, "a plaintext push/pull is refused");
  c.node.sendUserPacket(a.address, Uint8Array.of(1, 2, 3));
  b.node.sendUserPacket(a.address, Uint8Array.of(4, 5, 6));
  await w.clock.advance(100);
  assert.deepEqual(a.messages.map((m) => [...m]), [[4, 5, 6]]);
  assert.ok((a.node.metrics().dropped["decrypt"] ?? 0) >= 1);
  await w.stop();
});

Deno.test("GossipNode drops packets carrying another label", async () => {
  const w = world();
  const a = w.add("a", { label: "blue" });
  const b = w.add("b", { label: "green" });
  b.node.sendUserPacket(a.address, Uint8Array.of(1));
  await w.clock.advance(100);
  assert.equal(a.messages.length, 0);
  assert.equal(a.node.metrics().dropped["label"], 1);
  await w.stop();
});

Deno.test("GossipNode serves TCP pings addressed to it and TCP user messages", async () => {
  const w = world();
  const a = w.add("a");
  const dialer = w.net.transport({ host: "10.2.0.60", port: 7946 });
  dialer.start({ onPacket: () => {}, onStream: (c) => c.close() });
  const dial = () => {
    const p = dialer.dialStream(a.address, 1000);
    return w.clock.advance(20).then(() => p);
  };
  const ping = (node: string) =>
    encodeStreamFrame(encodeMessage({ type: MessageType.Ping, seqNo: 42, node }), { dialer: true });
  const ack = await exchange(w, await dial(), ping("a"));
  assert.deepEqual(ack?.message, { type: MessageType.Ack, seqNo: 42, payload: null });
  assert.equal(await exchange(w, await dial(), ping("b")), null, "not for us: no reply");
  const user = encodeStreamFrame(encodeUserStreamMessage(Uint8Array.of(9, 9)), { dialer: true });
  assert.equal(await exchange(w, await dial(), user), null);
  assert.deepEqual(a.messages.map((m) => [...m]), [[9, 9]]);
  await dialer.close();
  await w.stop();
});

Deno.test("GossipNode serves at most streamsMax streams at once", async () => {
  const w = world();
  const a = w.add("a");
  // 65 hosts with 2 streams each: within the per-source limit, beyond the total one
  const dialers = Array.from({ length: 65 }, (_, i) => {
    const d = w.net.transport({ host: `10.2.1.${i + 1}`, port: 7946 });
    d.start({ onPacket: () => {}, onStream: (c) => c.close() });
    return d;
  });
  const conns = dialers.flatMap((
    d,
  ) => [d.dialStream(a.address, 1000), d.dialStream(a.address, 1000)]);
  await w.clock.advance(50);
  const open = await Promise.all(conns);
  assert.equal(a.node.metrics().activeStreams, 128);
  assert.equal(a.node.metrics().streamsRefused, 2);
  await w.clock.advance(10_001);
  assert.equal(a.node.metrics().activeStreams, 0, "idle streams time out after TCPTimeout");
  for (const c of open) c.close();
  for (const d of dialers) await d.close();
  await w.stop();
});

Deno.test("GossipNode serves at most streamsPerSourceMax streams from one host", async () => {
  const w = world();
  const a = w.add("a");
  const dialer = w.net.transport({ host: "10.2.0.61", port: 7946 });
  dialer.start({ onPacket: () => {}, onStream: (c) => c.close() });
  const perSource = gossipConfig("lan").streamsPerSourceMax;
  const conns = Array.from({ length: perSource + 2 }, () => dialer.dialStream(a.address, 1000));
  await w.clock.advance(50);
  const open = await Promise.all(conns);
  assert.equal(a.node.metrics().activeStreams, perSource);
  assert.equal(a.node.metrics().streamsRefused, 2);
  for (const c of open) c.close();
  await w.clock.advance(50);
  const redial = dialer.dialStream(a.address, 1000);
  await w.clock.advance(50);
  const again = await redial;
  assert.equal(a.node.metrics().activeStreams, 1, "closed streams free their source's slots");
  again.close();
  await dialer.close();
  await w.stop();
});

Deno.test("GossipNode.leave() waits for the broadcast; peers see the node as Left", async () => {
  const w = world();
  const a = w.add("a"), b = w.add("b"), c = w.add("c");
  await joined(w, b, a);
  await joined(w, c, a);
  await w.clock.advance(3000);
  let done = false;
  const leaving = a.node.leave(5000).then(() => (done = true));
  await w.clock.advance(1);
  assert.equal(done, false);
  await w.clock.advance(3000);
  await leaving;
  assert.equal(done, true);
  for (const p of [b, c]) {
    assert.equal(p.node.members().find((m) => m.name === "a")?.state, NodeState.Left);
    assert.ok(p.events.includes("Left a"));
  }
  await w.stop();
});

Deno.test("GossipNode.updateMeta() reaches peers as an update with the new metadata", async () => {
  let meta = Uint8Array.of(1);
  const w = world();
  const a = w.add("a", { delegate: { nodeMeta: () => meta } });
  const b = w.add("b");
  await joined(w, b, a);
  meta = Uint8Array.of(2, 3);
  a.node.updateMeta();
  await w.clock.advance(2000);
  assert.ok(b.events.includes("update a 2,3"), b.events.join());
  assert.equal(a.node.localNode().incarnation, 2);
  await w.stop();
});

Deno.test("GossipNode.join() fails on incompatible protocol versions, on both sides", async () => {
  const w = world();
  const a = w.add("a");
  const b = w.add("b", { config: gossipConfig("lan", { protocolVersions: [3, 5, 3] }) });
  assert.equal(await joined(w, b, a), 0);
  assert.equal(a.node.members().length, 1);
  assert.equal(b.node.members().length, 1);
  await w.stop();
});

Deno.test("GossipNode answers a malformed stream with an error reply and counts it", async () => {
  const w = world();
  const a = w.add("a");
  const dialer = w.net.transport({ host: "10.2.0.62", port: 7946 });
  dialer.start({ onPacket: () => {}, onStream: (c) => c.close() });
  const p = dialer.dialStream(a.address, 1000);
  await w.clock.advance(20);
  // A suspect is not a stream message.
  const reply = await exchange(w, await p, Uint8Array.of(MessageType.Suspect, 0x80));
  assert.equal(reply?.message.type, MessageType.Err);
  assert.equal(a.node.metrics().streamErrors, 1);
  assert.equal(a.node.metrics().dropped["unknown-type"], 1);
  await dialer.close();
  await w.stop();
});
