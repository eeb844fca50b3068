/**
 * Golden vectors: the annotated captures of a real serf 0.9.4 agent (wire spec §10), rebuilt
 * byte for byte (in the notation of tests/_support/bytes.ts). Capture (b) and (e) carry Go's own CRC-32 of the rest, which
 * the tests check, so a transcription mistake here cannot go unnoticed.
 *
 * @module
 */

import { DecodeError, type DecodeReason } from "../../../lib/gossip/wire/errors.ts";

import { capture, hex } from "../../_support/bytes.ts";

/** Byte vectors are written in the capture notation of tests/_support/bytes.ts. */
export { capture, hex };

/** (a) Direct UDP ping a→py, 60 bytes, no CRC, no compression. */
export const CAPTURE_PING = capture(
  `00 85 a4 "Node" a2 "py" a5 "SeqNo" 23 aa "SourceAddr" a4 7f000001 aa "SourceNode" a1 "a" aa "SourcePort" cd 1f0a`,
);

/** Serf tags role=python, dc=lab as Meta: 0xFF then a msgpack map (21 bytes). */
export const META_PY = capture(`ff 82 a4 "role" a6 "python" a2 "dc" a3 "lab"`);

/** The alive(py) part of capture (b), 79 bytes. */
export const CAPTURE_ALIVE_PY = capture(
  `04 86 a4 "Addr" a4 7f000001 ab "Incarnation" 01 a4 "Meta" b5 ff 82 a4 "role" a6 "python" a2 "dc" a3 "lab" a4 "Node" a2 "py" a4 "Port" cd 1f0e a3 "Vsn" a6 01 05 02 02 05 05`,
);

/** The serf join intent part of capture (b): user message, 17 bytes. */
export const CAPTURE_JOIN_INTENT = capture(`08 01 82 a5 "LTime" 02 a4 "Node" a1 "a"`);

/** (b) Gossip a→py, 107 bytes: CRC + compound of [alive(py), serf join intent]. */
export const CAPTURE_GOSSIP = capture(
  `0c 552442a1 07 02 004f 0011 ${hex(CAPTURE_ALIVE_PY)} ${hex(CAPTURE_JOIN_INTENT)}`,
);

/** The serf query message body of capture (e) (after `08 04`), a map of 11. */
export const CAPTURE_QUERY_BODY = capture(
  `8b a4 "Addr" a4 7f000001 a7 "Filters" 91 b5 01 82 a4 "Expr" a4 "py.*" a3 "Tag" a4 "role" a5 "Flags" 01 a2 "ID" ce 763ec19f a5 "LTime" 04 a4 "Name" a5 "hello" a7 "Payload" ab "only-python" a4 "Port" cd 1f0b ab "RelayFactor" 00 aa "SourceNode" a1 "b" a7 "Timeout" ce bebc2000`,
);

/** (e) Serf query with a tag filter b→py via gossip, 149 bytes, CRC + user message. */
export const CAPTURE_QUERY = capture(`0c 6658d6f5 08 04 ${hex(CAPTURE_QUERY_BODY)}`);

/** (h) memberlist dead for b's graceful leave (From == Node). */
export const CAPTURE_DEAD = capture(`05 83 a4 "From" a1 "b" ab "Incarnation" 05 a4 "Node" a1 "b"`);

/** (h) serf leave intent as gossiped. */
export const CAPTURE_LEAVE_INTENT = capture(
  `08 00 83 a5 "LTime" 06 a4 "Node" a1 "b" a5 "Prune" c2`,
);

/** (g) push/pull header from a at join. */
export const CAPTURE_PUSH_PULL_HEADER = capture(
  `06 83 a4 "Join" c3 a5 "Nodes" 02 ac "UserStateLen" cd 024c`,
);

/** (g) node a's entry. */
export const CAPTURE_NODE_A = capture(
  `87 a4 "Addr" a4 7f000001 ab "Incarnation" 01 a4 "Meta" b2 ff82a26463a36c6162a4726f6c65a3776562 a4 "Name" a1 "a" a4 "Port" cd 1f0a a5 "State" 00 a3 "Vsn" a6 010502020505`,
);

/** (g) node b's entry, rebuilt the same way (role=db, port 7947). */
export const CAPTURE_NODE_B = capture(
  `87 a4 "Addr" a4 7f000001 ab "Incarnation" 01 a4 "Meta" b1 ff82a26463a36c6162a4726f6c65a26462 a4 "Name" a1 "b" a4 "Port" cd 1f0b a5 "State" 00 a3 "Vsn" a6 010502020505`,
);

/** (g) serf's user state: 588 bytes with 512 nil event slots. */
export const CAPTURE_SERF_STATE = capture(
  `02 86 aa "EventLTime" 01 a6 "Events" dc 0200 ${
    "c0".repeat(512)
  } a5 "LTime" 02 ab "LeftMembers" 90 aa "QueryLTime" 03 ac "StatusLTimes" 82 a1 "a" 00 a1 "b" 01`,
);

/** (g) the whole decompressed push/pull: 780 bytes. */
export const CAPTURE_PUSH_PULL = capture(
  `${hex(CAPTURE_PUSH_PULL_HEADER)} ${hex(CAPTURE_NODE_A)} ${hex(CAPTURE_NODE_B)} ${
    hex(CAPTURE_SERF_STATE)
  }`,
);

/** §1.6: the full compress message for "A". */
export const COMPRESS_A = capture(`09 82 a4 416c676f 00 a3 427566 a4 00830404`);

/**
 * Runs `fn`, asserts it throws a DecodeError (optionally with `reason`), and returns the error.
 *
 * @example
 * ```ts
 * import { throwsDecode } from "./_captures.ts";
 * import { DecodeError } from "../../../lib/gossip/wire/errors.ts";
 * throwsDecode(() => { throw new DecodeError("x", { reason: "crc" }); }, "crc");
 * ```
 */
export function throwsDecode(fn: () => unknown, reason?: DecodeReason): DecodeError {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof DecodeError)) throw new Error(`Expected a DecodeError, got ${err}`);
    if (reason !== undefined && err.reason !== reason) {
      throw new Error(`Expected reason "${reason}", got "${err.reason}": ${err.message}`);
    }
    return err;
  }
  throw new Error("Expected a DecodeError, nothing was thrown");
}
