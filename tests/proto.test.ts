import { deepStrictEqual, equal, throws } from "node:assert/strict";
import {
  AnnounceRequestSchema,
  AnnounceResponseSchema,
  decodePayload,
  DepartRequestSchema,
  DepartResponseSchema,
  encodePayload,
  PayloadError,
} from "../lib/proto.ts";
import { capture } from "./_support/bytes.ts";

// Vectors computed by hand from the protobuf encoding rules: tag = (field << 3) | wire type,
// varints little-endian base 128, strings length-delimited.

Deno.test("AnnounceRequest encodes to and decodes from hand-computed bytes", () => {
  // 1: varint 8080 = 90 3f; 2: "web"; 3: "ready"
  const v = capture("08 90 3f 12 03 77 65 62 1a 05 72 65 61 64 79");
  deepStrictEqual(
    encodePayload(AnnounceRequestSchema, { port: 8080, backend: "web", state: "ready" }),
    v,
  );
  const m = decodePayload(AnnounceRequestSchema, v);
  equal(m.port, 8080);
  equal(m.backend, "web");
  equal(m.state, "ready");
  equal(m.weight, undefined);
  // optional weight (field 4, varint) is only written when set
  deepStrictEqual(
    encodePayload(AnnounceRequestSchema, { port: 1, weight: 10 }),
    capture("08 01 20 0a"),
  );
  deepStrictEqual(encodePayload(AnnounceRequestSchema, {}), new Uint8Array(0));
});

Deno.test("AnnounceResponse keeps the Go shoal's field numbers for accepted and reason", () => {
  const v = capture("08 01 12 02 6e 6f 22 02 73 31");
  deepStrictEqual(
    encodePayload(AnnounceResponseSchema, { accepted: true, reason: "no", server: "s1" }),
    v,
  );
  const m = decodePayload(AnnounceResponseSchema, v);
  equal(m.accepted, true);
  equal(m.reason, "no");
  equal(m.server, "s1");
  // a later Go revision sends its reason in field 3: we skip it without failing
  const go = decodePayload(AnnounceResponseSchema, capture("08 00 1a 03 62 61 64"));
  equal(go.accepted, false);
  equal(go.reason, "");
});

Deno.test("DepartRequest and DepartResponse encode to hand-computed bytes", () => {
  const req = capture("0a 08 31 30 2e 30 2e 30 2e 31 10 50 1a 01 62 20 14");
  deepStrictEqual(
    encodePayload(DepartRequestSchema, {
      addr: "10.0.0.1",
      port: 80,
      backend: "b",
      timeoutSeconds: 20,
    }),
    req,
  );
  equal(decodePayload(DepartRequestSchema, req).timeoutSeconds, 20);
  // optional fields are written even when zero once set: remaining_sessions = 0 -> 20 00
  const resp = capture("08 01 18 01 20 00 28 ac 02");
  deepStrictEqual(
    encodePayload(DepartResponseSchema, {
      accepted: true,
      drained: true,
      remainingSessions: 0,
      drainMs: 300,
    }),
    resp,
  );
  const m = decodePayload(DepartResponseSchema, resp);
  equal(m.drainMs, 300);
  equal(m.remainingSessions, 0);
});

Deno.test("decodePayload() turns garbage into a PayloadError", () => {
  throws(() => decodePayload(AnnounceRequestSchema, capture("08")), PayloadError); // truncated varint
  throws(() => decodePayload(AnnounceRequestSchema, capture("12 05 61")), PayloadError); // short string
  throws(() => decodePayload(AnnounceRequestSchema, capture("0f")), PayloadError); // wire type 7
});
