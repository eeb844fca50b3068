/**
 * The UDP packets a node receives: decoding (label, decryption, CRC and compound framing through
 * the wire codec, with one budget for the bytes all compressed packets may inflate to), counting,
 * and dropping malformed input by reason, before each message goes to the core.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import { formatAddress } from "./address.ts";
import type { DecryptWarner } from "./join_diagnostics.ts";
import { countDrop, type ShellCounters } from "./metrics.ts";
import { RateBudget } from "./rate_budget.ts";
import type { Address } from "./types.ts";
import type { Message } from "./wire/messages.ts";
import {
  DecodeError,
  decodeMessage,
  decodePacket,
  type Keyring,
  PACKET_DECOMPRESSED_MAX_BYTES,
} from "./wire/mod.ts";
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

/** What {@linkcode PacketReceiver} reports to. */
export interface PacketReceiverDeps {
  readonly label: string;
  /** Packets must be encrypted with it; plaintext is refused. */
  readonly keyring: Keyring | undefined;
  readonly clock: Pick<Clock, "nowMs">;
  readonly counters: ShellCounters;
  readonly log: Logger;
  readonly decrypt: DecryptWarner;
  /** Gets each message of a packet that decoded. */
  readonly deliver: (msg: Message, from: Address) => void;
}

/**
 * Counts and decodes received packets and delivers their messages; a malformed packet or part is
 * dropped and counted by reason, and one that does not decrypt is warned about (rate-limited).
 */
export class PacketReceiver {
  readonly #d: PacketReceiverDeps;
  readonly #decoder: PacketDecoder;
  #warnedPlaintext = false;

  /** A receiver for packets labelled and encrypted as `deps` says. */
  constructor(deps: PacketReceiverDeps) {
    this.#d = deps;
    this.#decoder = new PacketDecoder(deps.label, deps.keyring);
  }

  /** One packet of `bytes` arrived from `from`. */
  receive(bytes: Uint8Array, from: Address): void {
    const c = this.#d.counters;
    c.packetsIn++;
    c.bytesIn += bytes.length;
    let messages: Uint8Array[];
    try {
      const decoded = this.#decoder.decode(bytes, this.#d.clock.nowMs());
      for (const err of decoded.errors) this.#drop(err, from);
      messages = decoded.messages;
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      return this.#drop(err, from);
    }
    for (const raw of messages) {
      try {
        this.#d.deliver(decodeMessage(raw), from);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        this.#drop(err, from);
      }
    }
  }

  #drop(err: DecodeError, from: Address): void {
    const d = this.#d;
    countDrop(d.counters, err.reason);
    if (d.keyring && err.reason === "decrypt") {
      d.decrypt.failed(formatAddress(from), "packet", err.message);
      if (!this.#warnedPlaintext) {
        this.#warnedPlaintext = true;
        d.log.warn("packet.unencrypted_refused", { from: formatAddress(from) });
      }
    }
    d.log.debug("packet.dropped", {
      reason: err.reason,
      from: formatAddress(from),
      error: err.message,
    });
  }
}
