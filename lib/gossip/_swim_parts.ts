/**
 * How one {@linkcode SwimCore} (`swim_core.ts`) is wired from its parts: the membership (table,
 * suspicion, broadcasts), the disseminator that piggybacks broadcasts on packets, the prober,
 * and the view the inbound router (`inbound.ts`) gets of them, all sharing one context (name,
 * config, clock, effect sink, logger, counters).
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";
import type { CoreContext, CoreCounters } from "./effects.ts";
import { Disseminator } from "./gossip.ts";
import type { InboundParts } from "./inbound.ts";
import { Membership } from "./membership.ts";
import { Prober } from "./probe.ts";
import type { SwimCoreOptions } from "./swim_options.ts";

/** The parts of one core. */
export interface SwimParts {
  readonly membership: Membership;
  readonly gossip: Disseminator;
  readonly prober: Prober;
  readonly inbound: InboundParts;
}

/** What the parts share besides the options. */
export interface SwimPartsShared {
  readonly logger: Logger;
  readonly counters: CoreCounters;
  /** Our advertised IP, as bytes. */
  readonly advertiseAddr: Uint8Array;
  /** A broadcast was queued (an idle gossip loop resumes). */
  readonly onBroadcastQueued: () => void;
}

/** Builds the parts of the core configured by `opts`. */
export function swimParts(opts: SwimCoreOptions, shared: SwimPartsShared): SwimParts {
  const base: CoreContext = {
    name: opts.name,
    config: opts.config,
    clock: opts.clock,
    emit: opts.emit,
    logger: shared.logger,
    counters: shared.counters,
  };
  const membership = new Membership({
    ...base,
    prng: opts.prng,
    onBroadcastQueued: shared.onBroadcastQueued,
    ...(opts.observer ? { observer: opts.observer } : {}),
    ...(opts.admit ? { admit: opts.admit } : {}),
  });
  const gossip = new Disseminator({
    ...base,
    membership,
    delegate: opts.delegate,
    packetOverheadBytes: opts.packetOverheadBytes ?? 0,
  });
  const prober = new Prober({
    ...base,
    advertise: { addr: shared.advertiseAddr, port: opts.advertise.port },
    membership,
    sender: {
      sendMessage: (to, msg) => gossip.sendMessage(to, msg),
      sendParts: (to, parts, crc) => opts.emit({ kind: "packet", to, parts, crc }),
    },
    delegate: opts.delegate,
  });
  const inbound: InboundParts = {
    ...base,
    advertisePort: opts.advertise.port,
    nowMs: () => opts.clock.nowMs(),
    membership,
    prober,
    delegate: opts.delegate,
    sendMessage: (to, msg) => gossip.sendMessage(to, msg),
  };
  return { membership, gossip, prober, inbound };
}
