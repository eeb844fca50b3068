/**
 * Decoding the UDP packets a node receives: label, decryption, CRC and compound framing through
 * the wire codec, with one budget for the bytes all compressed packets may inflate to.
 *
 * @module
 */

import { RateBudget } from "./rate_budget.ts";
import { decodePacket, type Keyring, PACKET_DECOMPRESSED_MAX_BYTES } from "./wire/mod.ts";
import type { DecodedPacket } from "./wire/packet.ts";

/**
 * Bytes all UDP packets together may inflate to per second. A busy node receives a few hundred
 * gossip packets a second of at most 1400 bytes (~3 KB inflated): under 1 MiB/s. At 4 MiB/s a
 * flood of LZW bombs costs a fraction of a core; beyond it compressed packets are dropped
 * (counted as "too-large") until the budget refills, while plain ones still flow.
 */
export const DECOMPRESSED_BYTES_PER_SECOND_MAX = 4 * 1024 * 1024;

/** Decodes received packets under {@linkcode DECOMPRESSED_BYTES_PER_SECOND_MAX}. */
export class PacketDecoder {
  readonly #options: { label: string; keyring?: Keyring };
  readonly #inflate = new RateBudget({
    capacity: DECOMPRESSED_BYTES_PER_SECOND_MAX,
    perSecond: DECOMPRESSED_BYTES_PER_SECOND_MAX,
  });

  /** Creates a decoder for packets with `label` ("" for none), encrypted with `keyring` if set. */
  constructor(label: string, keyring: Keyring | undefined) {
    this.#options = keyring ? { label, keyring } : { label };
  }

  /**
   * Decodes one packet received at `nowMs`; throws `DecodeError` when the whole packet is
   * refused. A compressed packet may inflate only to what the budget has left.
   */
  decode(bytes: Uint8Array, nowMs: number): DecodedPacket {
    const meter = { decompressedBytes: 0 };
    try {
      return decodePacket(bytes, {
        ...this.#options,
        decompressedMaxBytes: Math.min(
          PACKET_DECOMPRESSED_MAX_BYTES,
          this.#inflate.available(nowMs),
        ),
        meter,
      });
    } finally {
      this.#inflate.spend(meter.decompressedBytes, nowMs);
    }
  }
}
