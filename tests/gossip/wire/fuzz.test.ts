/**
 * Feeds random and mutated real packets through decodePacket, decodeMessage and StreamDecoder.
 * Each input must decode or throw DecodeError — never another exception — and finish quickly.
 * The seed is printed on failure; `SHOAL_SEED=<n>` replays a run.
 */
import assert from "node:assert/strict";
import { type Prng, seededPrng } from "../../../lib/clock.ts";
import { encodeCompound } from "../../../lib/gossip/wire/compound.ts";
import { encodeCompress } from "../../../lib/gossip/wire/compress.ts";
import { DecodeError } from "../../../lib/gossip/wire/errors.ts";
import { Keyring } from "../../../lib/gossip/wire/keyring.ts";
import { decodeMessage, encodeMessage, MessageType } from "../../../lib/gossip/wire/messages.ts";
import {
  decodePacket,
  type DecodePacketOptions,
  encodePacket,
} from "../../../lib/gossip/wire/packet.ts";
import {
  encodeStreamFrame,
  encodeUserStreamMessage,
  StreamDecoder,
  type StreamDecoderOptions,
} from "../../../lib/gossip/wire/stream.ts";
import {
  CAPTURE_ALIVE_PY,
  CAPTURE_DEAD,
  CAPTURE_GOSSIP,
  CAPTURE_JOIN_INTENT,
  CAPTURE_LEAVE_INTENT,
  CAPTURE_PING,
  CAPTURE_PUSH_PULL,
  CAPTURE_QUERY,
} from "./_captures.ts";
import { hex } from "../../_support/bytes.ts";
import { withSeed } from "../../_support/seed.ts";

const ROUNDS = 2500;
/** Generous per-input bound; typical inputs take well under a millisecond. */
const INPUT_TIME_MAX_MS = 250;

const ring = new Keyring([new Uint8Array(32).fill(0x42)], {
  randomBytes: () => new Uint8Array(12),
});
const mixed = encodeCompound([encodeCompress(CAPTURE_PING), CAPTURE_DEAD, CAPTURE_LEAVE_INTENT]);

const PACKETS: [Uint8Array, DecodePacketOptions][] = [
  [CAPTURE_PING, {}],
  [CAPTURE_GOSSIP, {}],
  [CAPTURE_QUERY, {}],
  [encodePacket([CAPTURE_PING, CAPTURE_ALIVE_PY, CAPTURE_DEAD, CAPTURE_JOIN_INTENT]), {}],
  [encodePacket([mixed, CAPTURE_DEAD], { crc: true, compress: false }), {}],
  [encodePacket([CAPTURE_GOSSIP.subarray(5)], { keyring: ring, label: "blue" }), {
    keyring: ring,
    label: "blue",
  }],
  [encodePacket([CAPTURE_QUERY.subarray(5)], { keyring: ring, encryptionVersion: 0 }), {
    keyring: ring,
  }],
];

const STREAMS: [Uint8Array, StreamDecoderOptions][] = [
  [encodeStreamFrame(CAPTURE_PUSH_PULL), {}],
  [CAPTURE_PUSH_PULL, {}],
  [encodeStreamFrame(CAPTURE_PUSH_PULL, { keyring: ring, label: "blue", dialer: true }), {
    keyring: ring,
    label: "blue",
  }],
  [encodeStreamFrame(encodeMessage({ type: MessageType.Ping, seqNo: 7, node: "a" })), {}],
  [encodeStreamFrame(encodeUserStreamMessage(CAPTURE_JOIN_INTENT), { compress: false }), {}],
  [encodeStreamFrame(encodeMessage({ type: MessageType.Ack, seqNo: 7, payload: null })), {
    role: "dialer",
  }],
];

function int(prng: Prng, n: number): number {
  return Math.floor(prng() * n);
}

/** One mutation of a real input: bit flips, truncation, length-field edits, splices, noise. */
function mutate(prng: Prng, input: Uint8Array): Uint8Array {
  const out = input.slice();
  switch (int(prng, 6)) {
    case 0: // bit flips
      for (let i = int(prng, 4) + 1; i > 0 && out.length > 0; i--) {
        out[int(prng, out.length)]! ^= 1 << int(prng, 8);
      }
      return out;
    case 1: // truncation
      return out.subarray(0, int(prng, out.length + 1));
    case 2: { // a length-like field set to an extreme
      if (out.length < 5) return out;
      const at = int(prng, out.length - 4);
      const v = [0, 0xff, 0x7f, 0x80][int(prng, 4)]!;
      for (let i = 0; i < 1 + int(prng, 4); i++) out[at + i] = v;
      return out;
    }
    case 3: { // a msgpack length prefix swapped in
      if (out.length < 2) return out;
      out[int(prng, out.length)] = [0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xc6, 0xcf][int(prng, 8)]!;
      return out;
    }
    case 4: { // splice in random bytes
      const at = int(prng, out.length + 1);
      const noise = Uint8Array.from({ length: int(prng, 16) }, () => int(prng, 256));
      return new Uint8Array([...out.subarray(0, at), ...noise, ...out.subarray(at)]);
    }
    default: // pure noise with a plausible first byte
      return Uint8Array.from(
        { length: int(prng, 200) },
        (_, i) => (i === 0 ? int(prng, 14) : int(prng, 256)),
      );
  }
}

/** Runs `fn`; anything thrown must be a DecodeError, and it must not take long. */
function expectDecodeOnly(label: string, input: Uint8Array, fn: () => void): void {
  const start = performance.now();
  try {
    fn();
  } catch (err) {
    if (!(err instanceof DecodeError)) {
      throw new Error(
        `${label}: non-DecodeError for input ${hex(input.subarray(0, 400))}: ${err}`,
        {
          cause: err,
        },
      );
    }
  }
  const took = performance.now() - start;
  assert.ok(
    took < INPUT_TIME_MAX_MS,
    `${label}: took ${took.toFixed(1)} ms for ${input.length} bytes`,
  );
}

Deno.test("fuzz: decodePacket() and decodeMessage() only ever throw DecodeError", async () => {
  await withSeed("random", (seed) => {
    const prng = seededPrng(seed);
    for (let round = 0; round < ROUNDS; round++) {
      const [base, opts] = PACKETS[int(prng, PACKETS.length)]!;
      let input = mutate(prng, base);
      if (prng() < 0.3) input = mutate(prng, input);
      expectDecodeOnly(`round ${round}`, input, () => {
        const { messages } = decodePacket(input, opts);
        for (const m of messages) {
          if (m[0] === MessageType.User) continue;
          try {
            decodeMessage(m);
          } catch (err) {
            if (!(err instanceof DecodeError)) throw err;
          }
        }
      });
    }
  });
});

Deno.test("fuzz: StreamDecoder only ever throws DecodeError, whatever the chunking", async () => {
  await withSeed("random", (seed) => {
    const prng = seededPrng(seed);
    for (let round = 0; round < ROUNDS; round++) {
      const [base, opts] = STREAMS[int(prng, STREAMS.length)]!;
      const input = prng() < 0.1 ? base : mutate(prng, base);
      expectDecodeOnly(`round ${round}`, input, () => {
        const dec = new StreamDecoder({
          ...opts,
          frameMaxBytes: 1 << 20,
          decompressedMaxBytes: 1 << 20,
        });
        let at = 0;
        while (at < input.length) {
          const n = 1 + int(prng, 64);
          let frame = dec.feed(input.subarray(at, at + n));
          for (let guard = 0; frame !== null && guard < 16; guard++) {
            frame = dec.feed(new Uint8Array());
          }
          at += n;
        }
        dec.end();
      });
    }
  });
});

Deno.test("fuzz: unmutated corpus decodes cleanly (the fuzz inputs start from valid data)", () => {
  for (const [p, opts] of PACKETS) assert.ok(decodePacket(p, opts).messages.length > 0);
  for (const [s, opts] of STREAMS) assert.ok(new StreamDecoder(opts).feed(s));
});
