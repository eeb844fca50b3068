/**
 * The incremental, sans-IO decoder for TCP stream frames (see `stream.ts` for the framing).
 *
 * @example
 * ```ts
 * import { StreamDecoder } from "./stream_decoder.ts";
 * const dec = new StreamDecoder();
 * console.assert(dec.feed(new Uint8Array([9])) === null);
 * ```
 *
 * @module
 */

import { StreamBuffer } from "./_stream_buffer.ts";
import {
  type BodyLimits,
  type BodyParser,
  bodyParser,
  parseWhole,
  type StreamMessage,
} from "./_stream_body.ts";
import { decompressMap } from "./compress.ts";
import { DecodeError } from "./errors.ts";
import { checkLabel } from "./label.ts";
import { MessageType } from "./messages.ts";
import { Reader, utf8 } from "./msgpack.ts";
import { ScannedValue } from "./_msgpack_scan.ts";
import { PUSH_PULL_NODES_MAX, USER_STATE_MAX_BYTES } from "./push_pull.ts";
import {
  STREAM_DECOMPRESSED_MAX_BYTES,
  STREAM_ENCRYPT_HEADER_BYTES,
  STREAM_FRAME_MAX_BYTES,
  STREAM_USER_MSG_MAX_BYTES,
  type StreamDecoderOptions,
  type StreamFrame,
} from "./stream_options.ts";

export type { PushPullMessage, StreamMessage } from "./_stream_body.ts";
export * from "./stream_options.ts";

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

type Phase = "label" | "type" | "encrypted" | "compressed" | "body";

/**
 * Incremental, sans-IO decoder for one TCP connection's incoming frames.
 *
 * @example
 * ```ts
 * import { StreamDecoder } from "./stream.ts";
 * const dec = new StreamDecoder({ role: "dialer" });
 * console.assert(dec.feed(new Uint8Array([2])) === null);
 * ```
 */
export class StreamDecoder {
  readonly #o: StreamDecoderOptions;
  readonly #limits: BodyLimits;
  readonly #frameMax: number;
  readonly #bytes: StreamBuffer;
  #phase: Phase;
  #label: string;
  #body: BodyParser | null = null;
  /** The compress wrapper being scanned (walked once as bytes arrive). */
  #compressed: ScannedValue | null = null;
  #failed: DecodeError | null = null;

  constructor(options: StreamDecoderOptions = {}) {
    this.#o = options;
    this.#frameMax = options.frameMaxBytes ?? STREAM_FRAME_MAX_BYTES;
    this.#bytes = new StreamBuffer(this.#frameMax, options.reserve);
    this.#limits = {
      nodesMax: options.nodesMax ?? PUSH_PULL_NODES_MAX,
      userStateMaxBytes: options.userStateMaxBytes ?? USER_STATE_MAX_BYTES,
      userMsgMaxBytes: STREAM_USER_MSG_MAX_BYTES,
    };
    this.#phase = (options.role ?? "acceptor") === "acceptor" ? "label" : "type";
    this.#label = options.label ?? "";
  }

  /** Bytes of buffer allocated for this connection (at least {@linkcode bufferedBytes}). */
  get allocatedBytes(): number {
    return this.#bytes.allocated;
  }

  /**
   * Gives the buffer's memory back at once (a resizable buffer shrunk to nothing returns its pages
   * without waiting for the collector); the decoder is unusable afterwards. Frames already
   * returned are unaffected (their messages hold copies).
   */
  release(): void {
    this.#bytes.release();
    this.#failed ??= new DecodeError("Stream decoder released", { reason: "truncated" });
  }

  /** Bytes received and not yet part of a returned frame. */
  get bufferedBytes(): number {
    return this.#bytes.length;
  }

  /**
   * Adds received bytes; returns the next complete frame, or `null` until one is complete. If a
   * chunk holds more than one frame, call `feed(new Uint8Array())` for the next. Throws
   * {@linkcode DecodeError}; after an error the decoder keeps throwing it.
   */
  feed(chunk: Uint8Array): StreamFrame | null {
    if (this.#failed) throw this.#failed;
    try {
      this.#append(chunk);
      return this.#advance();
    } catch (err) {
      if (err instanceof DecodeError) this.#failed = err;
      throw err;
    }
  }

  /** Call at end of input: throws {@linkcode DecodeError} ("truncated") if a frame was cut off. */
  end(): void {
    if (this.#failed) throw this.#failed;
    if (this.bufferedBytes > 0) {
      this.#failed = new DecodeError(`Stream ended inside a frame (${this.bufferedBytes} bytes)`, {
        reason: "truncated",
      });
      throw this.#failed;
    }
  }

  #append(chunk: Uint8Array): void {
    if (this.bufferedBytes + chunk.length > this.#frameMax) throw tooLarge(this.#frameMax);
    this.#bytes.append(chunk);
  }

  #avail(): Uint8Array {
    return this.#bytes.avail();
  }

  #advance(): StreamFrame | null {
    if (this.#phase === "label" && !this.#readLabel()) return null;
    if (this.#phase === "type") {
      const avail = this.#avail();
      if (avail.length === 0) return null;
      this.#startFrame(avail[0]!);
      this.#bytes.consume(1);
    }
    switch (this.#phase) {
      case "encrypted":
        return this.#readEncrypted();
      case "compressed":
        return this.#readCompressed();
      default:
        return this.#readBody();
    }
  }

  #readLabel(): boolean {
    const avail = this.#avail();
    if (avail.length === 0) return false;
    let n = 0;
    if (avail[0] === MessageType.HasLabel) {
      if (avail.length < 2) return false;
      n = 2 + avail[1]!;
      if (avail.length < n) return false;
    }
    this.#label = checkLabel(avail.subarray(0, n), this.#o).label;
    this.#bytes.consume(n);
    this.#phase = "type";
    return true;
  }

  #startFrame(type: number): void {
    const keyring = this.#o.keyring;
    if (type === MessageType.Encrypt) {
      if (!keyring) {
        throw new DecodeError("Stream is encrypted but no keyring is configured", {
          reason: "decrypt",
        });
      }
      this.#phase = "encrypted";
      return;
    }
    if (keyring && (this.#o.verifyIncoming ?? true)) {
      throw new DecodeError("Encryption is configured but the stream is not encrypted", {
        reason: "unencrypted",
      });
    }
    if (type === MessageType.Compress) {
      this.#phase = "compressed";
      return;
    }
    this.#body = bodyParser(type, this.#limits);
    this.#phase = "body";
  }

  #readEncrypted(): StreamFrame | null {
    const avail = this.#avail();
    if (avail.length < 4) return null;
    const n = new DataView(avail.buffer, avail.byteOffset, 4).getUint32(0);
    if (n > this.#frameMax) throw tooLarge(this.#frameMax);
    if (avail.length < 4 + n) return null;
    const header = new Uint8Array(STREAM_ENCRYPT_HEADER_BYTES);
    header[0] = MessageType.Encrypt;
    header.set(avail.subarray(0, 4), 1);
    const plain = this.#o.keyring!.decrypt(
      avail.subarray(4, 4 + n),
      concat(header, utf8(this.#label)),
    );
    this.#bytes.consume(4 + n);
    const inner = plain[0] === MessageType.Compress
      ? this.#decompress(new Reader(plain, 1).read())
      : plain;
    return this.#complete(parseWhole(inner, this.#limits), true, plain[0] === MessageType.Compress);
  }

  #readCompressed(): StreamFrame | null {
    this.#compressed ??= new ScannedValue(0);
    const read = this.#compressed.step(this.#avail(), (r) => r.read());
    if (read === null) {
      if (this.#compressed.neededBytes > this.#frameMax) throw tooLarge(this.#frameMax);
      return null;
    }
    this.#bytes.consume(read.end);
    return this.#complete(parseWhole(this.#decompress(read.value), this.#limits), false, true);
  }

  #decompress(value: ReturnType<Reader["read"]>): Uint8Array {
    return decompressMap(value, {
      outputMaxBytes: this.#o.decompressedMaxBytes ?? STREAM_DECOMPRESSED_MAX_BYTES,
    });
  }

  #readBody(): StreamFrame | null {
    const m = this.#body!.step(this.#avail());
    if (m === null) return null;
    this.#bytes.consume(this.#body!.consumedBytes);
    return this.#complete(m, false, false);
  }

  #complete(message: StreamMessage, encrypted: boolean, compressed: boolean): StreamFrame {
    this.#phase = "type";
    this.#body = null;
    this.#compressed = null;
    return { message, label: this.#label, encrypted, compressed };
  }
}

function tooLarge(max: number): DecodeError {
  return new DecodeError(`Stream frame exceeds ${max} bytes`, { reason: "too-large" });
}
