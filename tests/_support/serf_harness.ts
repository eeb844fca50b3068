/**
 * A test harness for the serf layer's sans-IO code: a {@linkcode GossipHandle} that records what
 * serf asked memberlist to do (packets, joins, leaves, meta updates). It is not a fake peer; it
 * only lets tests observe serf's effects and feed it memberlist notifications.
 *
 * @module
 */

import type { Address, GossipHandle, NodeInfo } from "../../lib/gossip/types.ts";
import { NodeState } from "../../lib/gossip/wire/messages.ts";
import { seededPrng } from "../../lib/clock.ts";
import { MemoryLogger } from "../../lib/log/logger.ts";
import { Serf, type SerfOptions } from "../../lib/serf/serf.ts";
import { encodeTags } from "../../lib/serf/tags.ts";
import { VirtualClock } from "./virtual_clock.ts";

/** A memberlist node description for notifications. */
export function nodeInfo(
  name: string,
  port: number,
  tags: Record<string, string> = {},
  host = "127.0.0.1",
): NodeInfo {
  return {
    name,
    addr: Uint8Array.from(host.split(".").map(Number)),
    host,
    port,
    meta: encodeTags(new Map(Object.entries(tags))),
    incarnation: 1,
    state: NodeState.Alive,
    vsn: Uint8Array.of(1, 5, 2, 2, 5, 5),
  };
}

/** One packet serf asked to send. */
export interface SentPacket {
  readonly to: Address;
  readonly payload: Uint8Array;
}

/** Records serf's calls into memberlist. */
export class RecordingHandle implements GossipHandle {
  readonly localName: string;
  readonly self: NodeInfo;
  readonly sent: SentPacket[] = [];
  readonly joins: string[][] = [];
  readonly leaves: number[] = [];
  metaUpdates = 0;
  /** Times serf said it queued a broadcast (an idle gossip loop would resume). */
  broadcastsQueued = 0;
  /** What `join` resolves to. */
  joinResult = 1;
  /** Extra nodes returned by members(). */
  others: NodeInfo[] = [];

  constructor(self: NodeInfo) {
    this.localName = self.name;
    this.self = self;
  }
  localNode(): NodeInfo {
    return this.self;
  }
  members(): NodeInfo[] {
    return [this.self, ...this.others];
  }
  numActive(): number {
    return 1 + this.others.length;
  }
  sendUserPacket(to: Address, payload: Uint8Array): void {
    this.sent.push({ to, payload });
  }
  updateMeta(): void {
    this.metaUpdates++;
  }
  join(addrs: readonly string[]): Promise<number> {
    this.joins.push([...addrs]);
    return Promise.resolve(this.joinResult);
  }
  leave(timeoutMs: number): Promise<void> {
    this.leaves.push(timeoutMs);
    return Promise.resolve();
  }
  broadcastQueued(): void {
    this.broadcastsQueued++;
  }
}

/** A serf instance on a virtual clock, a seeded PRNG and a recording handle. */
export interface SerfFixture {
  readonly serf: Serf;
  readonly handle: RecordingHandle;
  readonly clock: VirtualClock;
  readonly log: MemoryLogger;
}

/** Builds and attaches a serf named `name` at 127.0.0.1:`port`. */
export function makeSerf(
  name = "a",
  port = 7946,
  opts: Partial<SerfOptions> = {},
  seed = 1,
): SerfFixture {
  const clock = new VirtualClock(1_000_000);
  const log = new MemoryLogger();
  const tags = opts.tags ?? new Map<string, string>();
  const handle = new RecordingHandle(nodeInfo(name, port, Object.fromEntries(tags)));
  const serf = new Serf({ nodeName: name, ...opts }, { clock, prng: seededPrng(seed), log });
  serf.attach(handle);
  return { serf, handle, clock, log };
}
