/**
 * The limits and options of the TCP stream decoder (`stream_decoder.ts`) and the frame it
 * returns: how large a frame, its decompressed body and one user message may be, and how a
 * connection is read (role, label, keyring, memory reservation).
 *
 * @example
 * ```ts
 * import { STREAM_FRAME_MAX_BYTES } from "./stream_options.ts";
 * console.assert(STREAM_FRAME_MAX_BYTES === 16 * 1024 * 1024);
 * ```
 *
 * @module
 */

import type { StreamMessage } from "./_stream_body.ts";
import type { Keyring } from "./keyring.ts";

/**
 * Bytes one frame may occupy on the wire. Go refuses encrypted frames above 20 MiB; shoal's
 * largest legitimate frame (a push/pull of a few thousand members) is a few MiB compressed, so
 * 16 MiB bounds per-connection memory with ample headroom.
 */
export const STREAM_FRAME_MAX_BYTES = 16 * 1024 * 1024;
/** Decompressed bytes one frame may expand to (Go allows 40 MiB; see STREAM_FRAME_MAX_BYTES). */
export const STREAM_DECOMPRESSED_MAX_BYTES = 16 * 1024 * 1024;
/**
 * Payload bytes of one TCP user message. memberlist sets no limit; serf's largest message is a
 * 9 KiB user event, and 1 MiB leaves room for other delegates without letting one connection
 * buffer the whole frame limit as a single message.
 */
export const STREAM_USER_MSG_MAX_BYTES = 1024 * 1024;
/** Bytes the encrypt header adds before the blob: type byte and u32 length. */
export const STREAM_ENCRYPT_HEADER_BYTES = 5;

/** Options for {@linkcode StreamDecoder}. */
export interface StreamDecoderOptions {
  /**
   * "acceptor" reads an optional label header at the start of the connection; "dialer" (reading
   * the reply on a connection it opened) expects none.
   * @default {"acceptor"}
   */
  role?: "acceptor" | "dialer" | undefined;
  /** Our label. @default {""} */
  label?: string | undefined;
  /** Go's SkipInboundLabelCheck. @default {false} */
  skipInboundLabelCheck?: boolean | undefined;
  /** Decrypt with this keyring; without one, encrypted frames are refused. */
  keyring?: Keyring | undefined;
  /** With a keyring, refuse plaintext frames (Go's GossipVerifyIncoming). @default {true} */
  verifyIncoming?: boolean | undefined;
  /** @default {STREAM_FRAME_MAX_BYTES} */
  frameMaxBytes?: number | undefined;
  /** @default {STREAM_DECOMPRESSED_MAX_BYTES} */
  decompressedMaxBytes?: number | undefined;
  /** @default {PUSH_PULL_NODES_MAX} */
  nodesMax?: number | undefined;
  /** @default {USER_STATE_MAX_BYTES} */
  userStateMaxBytes?: number | undefined;
  /**
   * Called before the buffer grows by `bytes`; it may throw to refuse the growth, which fails
   * the feed before anything is allocated. How callers bound the memory of many connections
   * together. The buffer never shrinks.
   */
  reserve?: ((bytes: number) => void) | undefined;
}

/** One decoded stream frame. */
export interface StreamFrame {
  message: StreamMessage;
  /** The connection's label (our label under skipInboundLabelCheck). */
  label: string;
  encrypted: boolean;
  compressed: boolean;
}
