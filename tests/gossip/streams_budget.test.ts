/**
 * The shared bound on bytes held by partly read streams (STREAMS_BUFFERED_MAX_BYTES): a read
 * that would take the total beyond it fails, and every read gives its bytes back when it ends.
 */
import assert from "node:assert/strict";
import {
  readFrame,
  StreamExchangeError,
  STREAMS_BUFFERED_MAX_BYTES,
} from "../../lib/gossip/streams.ts";
import type { StreamContext } from "../../lib/gossip/streams.ts";
import type { StreamConn } from "../../lib/gossip/types.ts";
import { encodePushPull } from "../../lib/gossip/wire/mod.ts";
import { VirtualClock } from "../_support/virtual_clock.ts";

/** A connection that hands out `bytes` once, then stays silent until closed. */
function conn(bytes: Uint8Array): StreamConn {
  let sent = false;
  let closed: (() => void) | null = null;
  return {
    remote: { host: "10.9.0.1", port: 1 },
    read: (buf) => {
      if (!sent) {
        sent = true;
        buf.set(bytes.subarray(0, buf.length));
        return Promise.resolve(Math.min(buf.length, bytes.length));
      }
      return new Promise((r) => (closed = () => r(null)));
    },
    writeAll: () => Promise.resolve(),
    close: () => closed?.(),
  };
}

function ctx(clock: VirtualClock, buffered: { bytes: number }): StreamContext {
  return {
    core: null!,
    delegate: null!,
    clock,
    keyring: undefined,
    label: "",
    timeoutMs: 1000,
    buffered,
  };
}

// a push/pull cut short: 1000 bytes of user state declared, 100 sent
const partial = encodePushPull({ join: false, nodes: [], userState: new Uint8Array(1000) })
  .subarray(0, 100);

Deno.test("readFrame() fails a read that would take all streams beyond their shared bound", async () => {
  const clock = new VirtualClock();
  const buffered = { bytes: STREAMS_BUFFERED_MAX_BYTES - 50 };
  await assert.rejects(
    readFrame(ctx(clock, buffered), conn(partial), "acceptor", 1000),
    StreamExchangeError,
  );
  assert.equal(buffered.bytes, STREAMS_BUFFERED_MAX_BYTES - 50, "its bytes are given back");
});

Deno.test("readFrame() holds a partly read frame's bytes against the bound until it ends", async () => {
  const clock = new VirtualClock();
  const buffered = { bytes: 0 };
  const reading = readFrame(ctx(clock, buffered), conn(partial), "acceptor", 1000);
  await Promise.resolve();
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(buffered.bytes, 4096, "the buffer allocated for the partial frame is held");
  await clock.advance(1001);
  await assert.rejects(reading, StreamExchangeError);
  assert.equal(buffered.bytes, 0);
});
