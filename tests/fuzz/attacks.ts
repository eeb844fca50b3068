/**
 * The attack corpus of issue 13 as seeds for `deno task fuzz`: each entry builds one forged
 * input (UDP datagram, TCP stream or RPC bytes) from a seeded PRNG, and {@linkcode mutate}
 * damages it at random. Every input comes from the attacks in tests/security/.
 *
 * @module
 */

import { type Prng, randomInt } from "../../lib/clock.ts";
import { encodeMessage, encodePacket, MessageType, SHOAL_VSN } from "../../lib/gossip/wire/mod.ts";
import { encode } from "../../lib/gossip/wire/msgpack.ts";
import {
  encodeSerfMessage,
  QUERY_FLAG_NO_BROADCAST,
  SerfMessageType,
} from "../../lib/serf/messages.ts";
import {
  alivePacket,
  nodeState,
  pushPullFrame,
  serfPacket,
  userMessage,
} from "../_support/forge.ts";

/** Where an input goes. */
export type Channel = "udp" | "tcp" | "rpc";

/** One generated attack input. */
export interface AttackInput {
  readonly name: string;
  readonly channel: Channel;
  readonly bytes: Uint8Array;
}

/** Lamport times an attacker likes: small, near our clocks, far ahead, at the safe limit. */
function lTime(prng: Prng): number {
  const picks = [1, 2 ** 20, 2 ** 32 + 1, 2 ** 52, 2 ** 53 - 2, Number.MAX_SAFE_INTEGER];
  return prng() < 0.3 ? randomInt(prng, 1000) : picks[randomInt(prng, picks.length)]!;
}

function bytes(prng: Prng, max: number): Uint8Array {
  const out = new Uint8Array(randomInt(prng, max + 1));
  for (let i = 0; i < out.length; i++) out[i] = randomInt(prng, 256);
  return out;
}

function query(prng: Prng): Uint8Array {
  return serfPacket({
    type: SerfMessageType.Query,
    lTime: lTime(prng),
    id: randomInt(prng, 2 ** 31),
    addr: new Uint8Array([127, 0, 0, 9]),
    port: 9,
    sourceNode: prng() < 0.5 ? "ghost" : "fuzz-b",
    filters: [],
    flags: QUERY_FLAG_NO_BROADCAST,
    relayFactor: 0,
    timeoutNs: 1e9,
    name: prng() < 0.5 ? "depart" : "announce",
    payload: bytes(prng, prng() < 0.2 ? 4000 : 200),
  });
}

/** Nested arrays that used to be re-parsed on every read. */
function nestedArrays(type: number, outer: number, inner: number): Uint8Array {
  const head = [type, 0xdc, outer >> 8, outer & 255];
  const out = new Uint8Array(head.length + outer * (3 + inner)).fill(0x90);
  out.set(head);
  for (let i = 0; i < outer; i++) {
    out.set([0xdc, inner >> 8, inner & 255], head.length + i * (3 + inner));
  }
  return out;
}

const GENERATORS: readonly ((prng: Prng) => AttackInput)[] = [
  (p) => ({
    name: "user-event",
    channel: "udp",
    bytes: serfPacket({
      type: SerfMessageType.UserEvent,
      lTime: lTime(p),
      name: "fuzz",
      payload: bytes(p, p() < 0.3 ? 60_000 : 600),
      cc: false,
    }),
  }),
  (p) => ({ name: "query", channel: "udp", bytes: query(p) }),
  (p) => ({
    name: "join-intent",
    channel: "udp",
    bytes: serfPacket({ type: SerfMessageType.Join, lTime: lTime(p), node: "ghost" }),
  }),
  (p) => ({
    name: "alive-bad-meta",
    channel: "udp",
    bytes: alivePacket(`ghost-${randomInt(p, 100_000)}`, {
      port: 1 + randomInt(p, 65535),
      meta: p() < 0.5 ? new Uint8Array([0xff, 0xc1]) : bytes(p, 64),
    }),
  }),
  (p) => ({
    name: "alive-flood",
    channel: "udp",
    bytes: encodePacket(
      Array.from({ length: 20 }, () =>
        encodeMessage({
          type: MessageType.Alive,
          incarnation: 1,
          node: `ghost-${randomInt(p, 1_000_000)}`,
          addr: new Uint8Array([127, 0, 0, 9]),
          port: 1 + randomInt(p, 65535),
          meta: new Uint8Array(0),
          vsn: new Uint8Array(SHOAL_VSN),
        })),
      { compress: false },
    ),
  }),
  (p) => ({
    name: "lzw-bomb",
    channel: "udp",
    bytes: encodePacket([userMessage(new Uint8Array(64 * 1024 * (1 + randomInt(p, 16))))]),
  }),
  (p) => ({
    name: "push-pull",
    channel: "tcp",
    bytes: pushPullFrame(
      [nodeState(`ghost-${randomInt(p, 1000)}`, 9, new Uint8Array([0xff, 0xc1]))],
      encodeSerfMessage({
        type: SerfMessageType.PushPull,
        lTime: lTime(p),
        statusLTimes: new Map([["ghost", lTime(p)]]),
        leftMembers: p() < 0.5 ? ["fuzz-b"] : [],
        eventLTime: lTime(p),
        events: [],
        queryLTime: lTime(p),
      }),
    ),
  }),
  (p) => ({
    name: "nested-ping",
    channel: "tcp",
    bytes: nestedArrays(MessageType.Ping, 20 + randomInt(p, 100), 6000),
  }),
  (p) => ({
    name: "nested-compress",
    channel: "tcp",
    bytes: nestedArrays(MessageType.Compress, 20 + randomInt(p, 100), 6000),
  }),
  (p) => ({
    name: "rpc-auth",
    channel: "rpc",
    bytes: new Uint8Array([
      ...encode({ Command: "handshake", Seq: 0 }),
      ...encode({ Version: 1 }),
      ...encode({ Command: p() < 0.5 ? "auth" : "members-filtered", Seq: 1 }),
      ...encode({ AuthKey: "wrong", Name: "(?i)F.*", Status: "", Tags: {} }),
    ]),
  }),
  (p) => ({ name: "rpc-garbage", channel: "rpc", bytes: bytes(p, 2000) }),
];

/** A fresh attack input. */
export function generate(prng: Prng): AttackInput {
  return GENERATORS[randomInt(prng, GENERATORS.length)]!(prng);
}

/** Flips, cuts, duplicates or inserts bytes (or leaves the input whole, one time in four). */
export function mutate(prng: Prng, input: Uint8Array): Uint8Array {
  if (input.length === 0 || prng() < 0.25) return input;
  const out = input.slice();
  switch (randomInt(prng, 4)) {
    case 0: {
      for (let i = 0, n = 1 + randomInt(prng, 8); i < n; i++) {
        out[randomInt(prng, out.length)]! ^= 1 << randomInt(prng, 8);
      }
      return out;
    }
    case 1:
      return out.subarray(0, randomInt(prng, out.length));
    case 2: {
      const at = randomInt(prng, out.length);
      const dup = out.subarray(at, at + randomInt(prng, 64));
      return new Uint8Array([...out.subarray(0, at), ...dup, ...out.subarray(at)]);
    }
    default: {
      const at = randomInt(prng, out.length);
      const junk = bytes(prng, 16);
      return new Uint8Array([...out.subarray(0, at), ...junk, ...out.subarray(at)]);
    }
  }
}
