/**
 * Interop against a real `serf` agent on 127.0.0.1: it joins a minimal node driven by this test
 * (TCP push/pull in both directions, then UDP pings and gossip), once in plaintext and once with
 * an encryption key. Go must accept our LZW + msgpack push/pull, and every datagram and stream
 * frame it sends must decode with our codec.
 */
import assert from "node:assert/strict";
import { hex } from "./_captures.ts";
import { Keyring } from "../../../lib/gossip/wire/keyring.ts";
import {
  decodeMessage,
  encodeMessage,
  type Message,
  MessageType,
  SHOAL_VSN,
} from "../../../lib/gossip/wire/messages.ts";
import { decode, encode, type MsgValue, utf8 } from "../../../lib/gossip/wire/msgpack.ts";
import { freePort } from "../../_support/ports.ts";
import { serfBinary } from "../../_support/serf_cli.ts";
import { waitFor } from "../../_support/wait.ts";
import { type DecodedPacket, decodePacket, encodePacket } from "../../../lib/gossip/wire/packet.ts";
import {
  encodePushPull,
  encodeStreamFrame,
  StreamDecoder,
  type StreamFrame,
} from "../../../lib/gossip/wire/stream.ts";

const KEY_BASE64 = "T9jncgl9mbLus+baTTa7q7nPSUrXwbDi2dhbtqir37s=";
const NAME = "shoal-wire-test";
const LOOPBACK = Uint8Array.of(127, 0, 0, 1);

async function requireSerf(): Promise<void> {
  try {
    await new Deno.Command(serfBinary(), { args: ["version"], stdout: "null", stderr: "null" })
      .output();
  } catch {
    throw new Error("This test needs the serf binary: install it with `apt-get install serf`");
  }
}

async function serfCli(args: string[]): Promise<{ ok: boolean; out: string }> {
  const r = await new Deno.Command(serfBinary(), { args, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  return { ok: r.success, out: text };
}

interface Peer {
  tcp: Deno.Listener;
  udp: Deno.DatagramConn;
  port: number;
  keyring: Keyring | undefined;
  frames: StreamFrame[];
  packets: DecodedPacket[];
  messages: Message[];
}

/** Serves TCP: one frame per connection; replies to push/pull with our state and to ping with ack. */
async function serveTcp(peer: Peer): Promise<void> {
  for (;;) {
    let conn: Deno.Conn;
    try {
      conn = await peer.tcp.accept();
    } catch {
      return; // closed
    }
    try {
      const dec = new StreamDecoder({ keyring: peer.keyring });
      const buf = new Uint8Array(65536);
      let frame: StreamFrame | null = null;
      const raw: number[] = [];
      while (frame === null) {
        const n = await conn.read(buf);
        if (n === null) break;
        raw.push(...buf.subarray(0, n));
        frame = dec.feed(buf.subarray(0, n));
      }
      if (frame === null) continue;
      if (frame.message.type === MessageType.PushPull && !peer.keyring) {
        // Go's stream LZW output, re-created byte for byte from the decoded push/pull.
        assert.equal(
          hex(encodeStreamFrame(encodePushPull(frame.message))),
          hex(Uint8Array.from(raw)),
        );
      }
      peer.frames.push(frame);
      const reply = frame.message.type === MessageType.PushPull
        ? encodePushPull({
          join: frame.message.join,
          nodes: [ourState(peer.port)],
          userState: new Uint8Array(),
        })
        : encodeMessage({
          type: MessageType.Ack,
          seqNo: frame.message.type === MessageType.Ping ? frame.message.seqNo : 0,
          payload: null,
        });
      const wire = encodeStreamFrame(reply, { keyring: peer.keyring });
      for (let at = 0; at < wire.length;) at += await conn.write(wire.subarray(at));
    } finally {
      conn.close();
    }
  }
}

function ourState(port: number) {
  return {
    name: NAME,
    addr: LOOPBACK,
    port,
    meta: new Uint8Array([0xff, ...encode({ role: "shoal" })]),
    incarnation: 1,
    state: 0,
    vsn: Uint8Array.from(SHOAL_VSN),
  };
}

/** Serves UDP: decodes every datagram and acks pings addressed to us. */
async function serveUdp(peer: Peer): Promise<void> {
  for (;;) {
    let got: [Uint8Array, Deno.Addr];
    try {
      got = await peer.udp.receive();
    } catch {
      return; // closed
    }
    const packet = decodePacket(got[0], { keyring: peer.keyring });
    assert.deepEqual(packet.errors, []);
    if (!peer.keyring) {
      // Same layers, same bytes: our compound, LZW and CRC encoders match Go's exactly.
      const again = encodePacket(packet.messages, { crc: packet.crc });
      assert.equal(hex(again), hex(got[0]), "re-encoded datagram differs from Go's");
    }
    peer.packets.push(packet);
    for (const bytes of packet.messages) {
      const m = decodeMessage(bytes);
      peer.messages.push(m);
      if (m.type === MessageType.Ping && m.node === NAME) {
        const ack = encodePacket([
          encodeMessage({ type: MessageType.Ack, seqNo: m.seqNo, payload: null }),
        ], {
          keyring: peer.keyring,
        });
        await peer.udp.send(ack, got[1]);
      }
    }
  }
}

function userEvents(peer: Peer): Map<string, MsgValue>[] {
  return peer.messages.flatMap((m) => {
    if (m.type !== MessageType.User || m.payload[0] !== 3) return [];
    return [decode(m.payload.subarray(1)) as Map<string, MsgValue>];
  });
}

async function interop(encrypt: boolean): Promise<void> {
  await requireSerf();
  const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (tcp.addr as Deno.NetAddr).port;
  const udp = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port });
  const peer: Peer = {
    tcp,
    udp,
    port,
    keyring: encrypt ? Keyring.fromBase64([KEY_BASE64]) : undefined,
    frames: [],
    packets: [],
    messages: [],
  };
  const rpc = `-rpc-addr=127.0.0.1:${freePort()}`;
  const args = [
    "agent",
    "-node=go1",
    `-bind=127.0.0.1:${freePort()}`,
    rpc,
    "-tag",
    "role=web",
    "-log-level=warn",
  ];
  if (encrypt) args.push(`-encrypt=${KEY_BASE64}`);
  const agent = new Deno.Command(serfBinary(), { args, stdout: "piped", stderr: "piped" }).spawn();
  const failures: unknown[] = [];
  const servers = [serveTcp(peer), serveUdp(peer)].map((p) =>
    p.catch((e) => void failures.push(e))
  );
  try {
    await waitFor(
      "serf agent RPC",
      async () => (await serfCli(["members", rpc])).ok,
      { intervalMs: 50 }, // each check spawns a serf process
    );
    const join = await serfCli(["join", rpc, `127.0.0.1:${port}`]);
    assert.ok(join.ok, `serf join failed: ${join.out}`);

    // Go decoded our push/pull: we are a member with our tags.
    const members = await serfCli(["members", rpc]);
    assert.match(
      members.out,
      new RegExp(`${NAME}\\s+127\\.0\\.0\\.1:${port}\\s+alive\\s+role=shoal`),
    );
    // We decoded Go's: a join with its own node state and serf's user state.
    const pp = peer.frames[0]!.message;
    assert.equal(pp.type, MessageType.PushPull);
    if (pp.type !== MessageType.PushPull) return;
    assert.ok(pp.join);
    assert.equal(peer.frames[0]!.encrypted, encrypt);
    assert.ok(peer.frames[0]!.compressed);
    const go1 = pp.nodes.find((n) => n.name === "go1");
    assert.ok(go1, "go1 in the push/pull");
    assert.deepEqual(decode(go1.meta.subarray(1)), new Map([["role", utf8("web")]]));
    assert.equal(pp.userState[0], 2);

    // A 300-byte user event arrives as compressed gossip with a CRC, like capture (c).
    const ev = await serfCli(["event", rpc, "bigevt", "x".repeat(300)]);
    assert.ok(ev.ok, ev.out);
    await waitFor(
      "a ping addressed to us and the user event",
      () =>
        peer.messages.some((m) => m.type === MessageType.Ping && m.node === NAME) &&
        userEvents(peer).some((e) =>
          e.get("Payload") instanceof Uint8Array &&
          (e.get("Payload") as Uint8Array).length === 300
        ),
      { intervalMs: 50 },
    );
    assert.ok(peer.packets.some((p) => p.crc), "some gossip carried a CRC");
    assert.ok(peer.packets.some((p) => p.compressed), "the big event came LZW-compressed");
    assert.ok(peer.packets.every((p) => p.encrypted === encrypt));
    if (Deno.env.get("SHOAL_WIRE_DEBUG")) {
      console.log({
        packets: peer.packets.length,
        crc: peer.packets.filter((p) => p.crc).length,
        compressed: peer.packets.filter((p) => p.compressed).length,
        types: peer.messages.map((m) => m.type).join(","),
        frames: peer.frames.length,
      });
    }
  } finally {
    agent.kill("SIGKILL");
    await agent.output();
    tcp.close();
    udp.close();
    await Promise.all(servers);
  }
  assert.deepEqual(failures, [], "the test peer failed to decode something serf sent");
}

Deno.test("serf interop: a real agent joins us over TCP and gossips to us over UDP", async () => {
  await interop(false);
});

Deno.test("serf interop: the same with AES-256-GCM encryption (-encrypt)", async () => {
  await interop(true);
});
