/**
 * shoal's own proto3 codec (`lib/proto_codec.ts`) against the reference: the code `deno task proto`
 * generates from `proto/shoal.proto` with `@bufbuild/protobuf`. Same descriptors, the same bytes
 * for every message, and the same decoding of each other's output and of mutated input.
 */

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { create, type DescMessage, fromBinary, ScalarType, toBinary } from "@bufbuild/protobuf";
import * as gen from "../lib/gen/shoal_pb.ts";
import * as ours from "../lib/proto.ts";
import { seededPrng } from "../lib/clock.ts";
import { hex } from "./_support/bytes.ts";
import { withSeed } from "./_support/cluster.ts";

type Prng = () => number;

const PAIRS: [DescMessage, ours.MessageSchema<unknown>][] = [
  [gen.AnnounceRequestSchema, ours.AnnounceRequestSchema],
  [gen.AnnounceResponseSchema, ours.AnnounceResponseSchema],
  [gen.DepartRequestSchema, ours.DepartRequestSchema],
  [gen.DepartResponseSchema, ours.DepartResponseSchema],
];

const KIND: Record<number, string> = {
  [ScalarType.UINT32]: "uint32",
  [ScalarType.STRING]: "string",
  [ScalarType.BOOL]: "bool",
};

/** The plain fields of a bufbuild message (not `$typeName`, `$unknown`), absent optionals left out. */
function plain(message: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(message)) {
    if (!k.startsWith("$") && v !== undefined) out[k] = v;
  }
  return out;
}

function withoutUndefined(m: unknown): Record<string, unknown> {
  return plain(m as Record<string, unknown>);
}

function randomString(prng: Prng): string {
  const alphabet = ["a", "Z", "0", "-", ".", "é", "✓", "😀", " ", "\u0000"];
  const n = Math.floor(prng() * 12);
  let s = "";
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(prng() * alphabet.length)];
  return s;
}

function randomUint32(prng: Prng): number {
  const pick = prng();
  if (pick < 0.2) return 0;
  if (pick < 0.3) return 0xffff_ffff;
  if (pick < 0.6) return Math.floor(prng() * 300);
  return Math.floor(prng() * 2 ** 32);
}

function randomInit(desc: DescMessage, prng: Prng): Record<string, unknown> {
  const init: Record<string, unknown> = {};
  for (const field of desc.fields) {
    if (field.fieldKind !== "scalar") throw new Error("shoal.proto has scalar fields only");
    if (prng() < 0.25) continue; // absent
    const kind = KIND[field.scalar];
    init[field.localName] = kind === "string"
      ? randomString(prng)
      : kind === "bool"
      ? prng() < 0.5
      : randomUint32(prng);
  }
  return init;
}

Deno.test("proto codec: every message has the generated descriptor's fields, numbers and types", () => {
  for (const [desc, schema] of PAIRS) {
    equal(schema.typeName, desc.typeName);
    deepStrictEqual(
      schema.fields.map((f) => [f.no, f.key, f.kind, f.optional]),
      desc.fields.map((f) => [
        f.number,
        f.localName,
        f.fieldKind === "scalar" ? KIND[f.scalar] : "?",
        f.proto.proto3Optional === true,
      ]),
      desc.typeName,
    );
  }
});

Deno.test("proto codec: the same bytes as @bufbuild/protobuf, both ways, for random messages", async () => {
  await withSeed(20261202, (seed) => {
    const prng = seededPrng(seed);
    let checked = 0;
    for (let i = 0; i < 2000; i++) {
      const [desc, schema] = PAIRS[i % PAIRS.length]!;
      const init = randomInit(desc, prng);
      const theirs = toBinary(desc, create(desc, init));
      const mine = ours.encodePayload(schema, init);
      deepStrictEqual(mine, theirs, `${desc.typeName} ${JSON.stringify(init)}`);
      deepStrictEqual(
        withoutUndefined(ours.decodePayload(schema, theirs)),
        plain(fromBinary(desc, theirs) as unknown as Record<string, unknown>),
      );
      checked++;
    }
    equal(checked, 2000);
    return Promise.resolve();
  });
});

/** Rewrites `bytes` with one random mutation: a flipped byte, a cut, an insertion or a splice. */
function mutate(bytes: Uint8Array, prng: Prng): Uint8Array {
  const out = [...bytes];
  const at = Math.floor(prng() * (out.length + 1));
  const op = prng();
  if (op < 0.3 && out.length > 0) out[Math.min(at, out.length - 1)] = Math.floor(prng() * 256);
  else if (op < 0.5) out.length = at;
  else if (op < 0.8) out.splice(at, 0, Math.floor(prng() * 256));
  else {
    // an unknown field of a random wire type (0, 1, 2 or 5) and number 6..20
    const no = 6 + Math.floor(prng() * 15);
    const wire = [0, 1, 2, 5][Math.floor(prng() * 4)]!;
    const body = wire === 0
      ? [0x96, 0x01]
      : wire === 1
      ? Array(8).fill(7)
      : wire === 5
      ? Array(4).fill(9)
      : [2, 0x68, 0x69];
    out.splice(at, 0, no * 8 + wire, ...body);
  }
  return Uint8Array.from(out);
}

/**
 * Where the reference and the specification part ways, shoal follows the specification (and Go's
 * runtime, the Go shoal's): a known field with another wire type is skipped as unknown, and a string
 * that is not UTF-8 is refused. These inputs are excluded from the agreement check.
 */
function followsSpecNotReference(bytes: Uint8Array, schema: ours.MessageSchema<unknown>): boolean {
  let pos = 0;
  const varint = (): number | null => {
    let v = 0;
    for (let i = 0; i < 10 && pos < bytes.length; i++) {
      const b = bytes[pos++]!;
      if (i < 5) v += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return v % 2 ** 32;
    }
    return null;
  };
  while (pos < bytes.length) {
    const tag = varint();
    if (tag === null) return false;
    const field = schema.fields.find((f) => f.no === Math.floor(tag / 8));
    const wire = tag % 8;
    if (field && (field.kind === "string" ? 2 : 0) !== wire) return true;
    if (wire === 0) varint();
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const n = varint();
      if (n === null) return false;
      if (field?.kind === "string" && pos + n <= bytes.length) {
        try {
          new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(pos, pos + n));
        } catch {
          return true;
        }
      }
      pos += n;
    } else return false;
  }
  return false;
}

Deno.test("proto codec: mutated input is refused or decoded exactly as @bufbuild/protobuf does", async () => {
  await withSeed(7, (seed) => {
    const prng = seededPrng(seed);
    let agreed = 0;
    let refused = 0;
    for (let i = 0; i < 5000; i++) {
      const [desc, schema] = PAIRS[i % PAIRS.length]!;
      let bytes: Uint8Array = toBinary(desc, create(desc, randomInit(desc, prng)));
      for (let m = 1 + Math.floor(prng() * 3); m > 0; m--) bytes = mutate(bytes, prng);
      if (followsSpecNotReference(bytes, schema)) continue;
      let theirs: Record<string, unknown> | Error;
      let mine: Record<string, unknown> | Error;
      try {
        theirs = plain(fromBinary(desc, bytes) as unknown as Record<string, unknown>);
      } catch (err) {
        theirs = err as Error;
      }
      try {
        mine = withoutUndefined(ours.decodePayload(schema, bytes));
      } catch (err) {
        ok(err instanceof ours.PayloadError, `only PayloadError escapes: ${err}`);
        mine = err;
      }
      equal(
        mine instanceof Error,
        theirs instanceof Error,
        `${desc.typeName} [${hex(bytes, " ")}]: ${mine}`,
      );
      if (mine instanceof Error) refused++;
      else deepStrictEqual(mine, theirs, `${desc.typeName} [${hex(bytes, " ")}]`);
      agreed++;
    }
    ok(
      agreed > 2500 && refused > 500 && agreed - refused > 300,
      `agreed on ${agreed}, ${refused} refused`,
    );
    return Promise.resolve();
  });
});

Deno.test("proto codec: a wrong wire type is skipped and bad UTF-8 refused, as the spec says", () => {
  // port (1) sent as a string: skipped, as Go does; backend "a" still read
  const m = ours.decodePayload(
    ours.AnnounceRequestSchema,
    Uint8Array.of(0x0a, 0x01, 0x41, 0x12, 0x01, 0x61),
  );
  equal(m.port, 0);
  equal(m.backend, "a");
  let refused = false;
  try {
    ours.decodePayload(ours.AnnounceRequestSchema, Uint8Array.of(0x12, 0x02, 0xc3, 0x28));
  } catch (err) {
    refused = err instanceof ours.PayloadError && err.message.includes("UTF-8");
  }
  ok(refused, "invalid UTF-8 in backend is a PayloadError");
});
