/**
 * The gossip shell's TCP side (wire spec §5): one exchange per connection. Serves incoming
 * push/pull, TCP ping and TCP user messages; dials push/pulls and TCP pings. Every read has a
 * deadline on the injected clock; every frame goes through the wire codec's incremental decoder.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import type { SwimCore } from "./swim_core.ts";
import type { Address, GossipDelegate, StreamConn } from "./types.ts";
import {
  DecodeError,
  encodeMessage,
  encodePushPull,
  encodeStreamFrame,
  type Keyring,
  MessageType,
  StreamDecoder,
  type StreamFrame,
} from "./wire/mod.ts";

/** Thrown when a stream exchange fails: timeout, early end, error reply, unexpected message. */
export class StreamExchangeError extends Error {
  override name = "StreamExchangeError";
}

/** What stream code needs from the node. */
export interface StreamContext {
  readonly core: SwimCore;
  readonly delegate: GossipDelegate;
  readonly clock: Clock;
  readonly keyring: Keyring | undefined;
  readonly label: string;
  readonly timeoutMs: number;
  /** Bytes buffered by every stream read in progress (see STREAMS_BUFFERED_MAX_BYTES). */
  readonly buffered?: { bytes: number };
}

/**
 * Buffer bytes all partly received frames may hold together (reserved before the decoder's
 * buffer grows, so the bound holds for what is allocated, not only filled). One frame may take
 * 16 MiB
 * (STREAM_FRAME_MAX_BYTES) and 128 streams may be open: without a shared bound, hosts sending
 * large frames slowly could hold 2 GiB. 64 MiB still fits four frames of the largest legitimate
 * push/pull at once; a read that would
 * go beyond fails before allocating, and its connection closes.
 */
export const STREAMS_BUFFERED_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Concurrent incoming streams counted per source host, up to a maximum each (the gossip
 * config's `streamsPerSourceMax`).
 *
 * @example
 * ```ts
 * import { SourceSlots } from "./streams.ts";
 * const slots = new SourceSlots(1);
 * console.assert(slots.acquire("10.0.0.1") && !slots.acquire("10.0.0.1"));
 * slots.release("10.0.0.1");
 * console.assert(slots.acquire("10.0.0.1"));
 * ```
 */
export class SourceSlots {
  readonly #max: number;
  readonly #open = new Map<string, number>();

  constructor(max: number) {
    this.#max = max;
  }

  /** Takes a slot for `host`; false when it already holds the maximum. */
  acquire(host: string): boolean {
    const n = this.#open.get(host) ?? 0;
    if (n >= this.#max) return false;
    this.#open.set(host, n + 1);
    return true;
  }

  /** Gives back a slot taken by {@linkcode acquire}. */
  release(host: string): void {
    const left = (this.#open.get(host) ?? 1) - 1;
    if (left > 0) this.#open.set(host, left);
    else this.#open.delete(host);
  }
}

/** Bytes asked for per read; frames larger than this arrive over several reads. */
const READ_CHUNK_BYTES = 8 * 1024;

function frameOptions(ctx: StreamContext, dialer: boolean) {
  return {
    compress: true,
    label: ctx.label,
    dialer,
    ...(ctx.keyring ? { keyring: ctx.keyring } : {}),
  };
}

/** Runs `exchange`, closing `conn` if it is still running at `deadlineMs` (stuck writes included). */
async function withDeadline<T>(
  ctx: StreamContext,
  conn: StreamConn,
  deadlineMs: number,
  exchange: () => Promise<T>,
): Promise<T> {
  const timer = ctx.clock.setTimer(Math.max(0, deadlineMs - ctx.clock.nowMs()), () => conn.close());
  try {
    return await exchange();
  } finally {
    ctx.clock.clearTimer(timer);
  }
}

/** Reads one frame, or throws; the connection is closed if `deadlineMs` passes first. */
export async function readFrame(
  ctx: StreamContext,
  conn: StreamConn,
  role: "acceptor" | "dialer",
  deadlineMs: number,
): Promise<StreamFrame> {
  let held = 0;
  const reserve = (bytes: number) => {
    if (!ctx.buffered) return;
    if (bytes > 0 && ctx.buffered.bytes + bytes > STREAMS_BUFFERED_MAX_BYTES) {
      throw new StreamExchangeError(
        `Stream from ${conn.remote.host} refused: streams would buffer ${
          ctx.buffered.bytes + bytes
        } bytes`,
      );
    }
    ctx.buffered.bytes += bytes;
    held += bytes;
  };
  const decoder = new StreamDecoder({
    role,
    label: ctx.label,
    reserve,
    ...(ctx.keyring ? { keyring: ctx.keyring } : {}),
  });
  let timedOut = false;
  const timer = ctx.clock.setTimer(Math.max(0, deadlineMs - ctx.clock.nowMs()), () => {
    timedOut = true;
    conn.close();
  });
  try {
    const buf = new Uint8Array(READ_CHUNK_BYTES);
    for (;;) {
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch (err) {
        // A real socket closed under a pending read rejects instead of returning null.
        if (!timedOut) throw err;
        n = null;
      }
      if (n === null) {
        if (timedOut) throw new StreamExchangeError(`Stream from ${conn.remote.host} timed out`);
        decoder.end();
        throw new StreamExchangeError(`Stream from ${conn.remote.host} ended before a message`);
      }
      const frame = decoder.feed(buf.subarray(0, n));
      if (frame) return frame;
    }
  } finally {
    decoder.release(); // a refused stream's pages go now, not at the next collection
    if (ctx.buffered) ctx.buffered.bytes -= held;
    ctx.clock.clearTimer(timer);
  }
}

/** Serves one incoming connection: push/pull, TCP ping or TCP user message. */
export function serveStream(ctx: StreamContext, conn: StreamConn): Promise<void> {
  const deadlineMs = ctx.clock.nowMs() + ctx.timeoutMs;
  return withDeadline(ctx, conn, deadlineMs, () => serveFrame(ctx, conn, deadlineMs));
}

async function serveFrame(ctx: StreamContext, conn: StreamConn, deadlineMs: number): Promise<void> {
  let frame: StreamFrame;
  try {
    frame = await readFrame(ctx, conn, "acceptor", deadlineMs);
  } catch (err) {
    if (err instanceof DecodeError) await replyError(ctx, conn, err.message);
    throw err;
  }
  const m = frame.message;
  switch (m.type) {
    case MessageType.PushPull: {
      const local = ctx.core.localPushPull(m.join);
      const reply = encodePushPull({ join: m.join, ...local });
      await conn.writeAll(encodeStreamFrame(reply, frameOptions(ctx, false)));
      ctx.core.mergeRemote(m, m.join, conn.remote.host);
      return;
    }
    case MessageType.Ping: {
      const ack = ctx.core.answerStreamPing(m);
      if (ack) await conn.writeAll(encodeStreamFrame(encodeMessage(ack), frameOptions(ctx, false)));
      return;
    }
    case MessageType.User:
      ctx.delegate.notifyMsg(m.payload, conn.remote);
      return;
    default:
      throw new StreamExchangeError(`Unexpected stream message type ${m.type}`);
  }
}

async function replyError(ctx: StreamContext, conn: StreamConn, error: string): Promise<void> {
  try {
    const bytes = encodeMessage({ type: MessageType.Err, error });
    await conn.writeAll(encodeStreamFrame(bytes, frameOptions(ctx, false)));
  } catch {
    // The peer is gone; the original error is what gets reported.
  }
}

/** Dials `to` and runs a push/pull; merges the reply. Throws on any failure. */
export async function dialPushPull(
  ctx: StreamContext,
  dial: (to: Address, timeoutMs: number) => Promise<StreamConn>,
  to: Address,
  join: boolean,
): Promise<void> {
  const deadlineMs = ctx.clock.nowMs() + ctx.timeoutMs;
  const conn = await dial(to, ctx.timeoutMs);
  try {
    const frame = await withDeadline(ctx, conn, deadlineMs, async () => {
      const local = encodePushPull({ join, ...ctx.core.localPushPull(join) });
      await conn.writeAll(encodeStreamFrame(local, frameOptions(ctx, true)));
      return await readFrame(ctx, conn, "dialer", deadlineMs);
    });
    const m = frame.message;
    if (m.type === MessageType.Err) throw new StreamExchangeError(`Remote error: ${m.error}`);
    if (m.type !== MessageType.PushPull) {
      throw new StreamExchangeError(`Expected a push/pull reply, got type ${m.type}`);
    }
    ctx.core.mergeRemote(m, join);
  } finally {
    conn.close();
  }
}

/** Dials `to` and sends a TCP ping; true when the matching ack arrives before `deadlineMs`. */
export async function dialTcpPing(
  ctx: StreamContext,
  dial: (to: Address, timeoutMs: number) => Promise<StreamConn>,
  req: { to: Address; seqNo: number; node: string; deadlineMs: number },
): Promise<boolean> {
  const timeoutMs = req.deadlineMs - ctx.clock.nowMs();
  if (timeoutMs <= 0) return false;
  const conn = await dial(req.to, timeoutMs);
  try {
    const frame = await withDeadline(ctx, conn, req.deadlineMs, async () => {
      const ping = encodeMessage({ type: MessageType.Ping, seqNo: req.seqNo, node: req.node });
      await conn.writeAll(encodeStreamFrame(ping, frameOptions(ctx, true)));
      return await readFrame(ctx, conn, "dialer", req.deadlineMs);
    });
    return frame.message.type === MessageType.Ack && frame.message.seqNo === req.seqNo;
  } finally {
    conn.close();
  }
}
