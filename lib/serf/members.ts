/**
 * Serf's member table: statuses alive, leaving, left and failed with their Lamport status times,
 * join and leave intents, and the recent-intent buffer for names not known yet (wire spec §7.6).
 * Synchronous: memberlist notifications and intents in, member events out.
 *
 * @module
 */

import type { NodeInfo } from "../gossip/types.ts";
import { ipToString } from "./addr.ts";
import { SerfDecodeError } from "./errors.ts";
import { decodeTags } from "./tags.ts";

/** Serf member statuses; the numbers are the protocol. */
export enum MemberStatus {
  None = 0,
  Alive = 1,
  Leaving = 2,
  Left = 3,
  Failed = 4,
}

/** The status names serf prints and sends over RPC. */
export const MEMBER_STATUS_NAMES: Record<MemberStatus, string> = {
  [MemberStatus.None]: "none",
  [MemberStatus.Alive]: "alive",
  [MemberStatus.Leaving]: "leaving",
  [MemberStatus.Left]: "left",
  [MemberStatus.Failed]: "failed",
};

/** A serf member as the application sees it (a snapshot; later changes make new objects). */
export interface Member {
  /** Node name. */
  readonly name: string;
  /** The IP as sent on the wire (4 or 16 bytes). */
  readonly addr: Uint8Array;
  /** `addr` as an IP literal. */
  readonly host: string;
  /** memberlist port. */
  readonly port: number;
  /** Decoded tags. */
  readonly tags: ReadonlyMap<string, string>;
  /** Serf status. */
  readonly status: MemberStatus;
  /** pmin, pmax, pcur, dmin, dmax, dcur. */
  readonly vsn: readonly number[];
}

/** Kinds of member events. */
export type MemberEventType =
  | "member-join"
  | "member-leave"
  | "member-failed"
  | "member-update"
  | "member-reap";

/** What happened to a member. */
export interface MemberEvent {
  /** What happened. */
  readonly type: MemberEventType;
  /** To whom. */
  readonly members: readonly Member[];
}

interface MemberState {
  member: Member;
  statusLTime: number;
  /** When it failed or left (for the reaper); 0 otherwise. */
  leaveTimeMs: number;
}

interface Intent {
  readonly kind: "join" | "leave";
  readonly lTime: number;
  readonly atMs: number;
}

/** Options of {@linkcode MemberTable}. */
export interface MemberTableOptions {
  readonly recentIntentsMax: number;
  readonly emit: (e: MemberEvent) => void;
  readonly nowMs: () => number;
  /** Called when a member's metadata does not decode (it then has empty tags). */
  readonly onBadTags?: (name: string, e: SerfDecodeError) => void;
}

/** Outcome of a leave intent. */
export type LeaveIntentResult = "accepted" | "ignored" | "refute";

/** The member's tags; metadata that does not decode gives empty tags, as in serf. */
function tagsOrEmpty(n: NodeInfo, o: MemberTableOptions): Map<string, string> {
  try {
    return decodeTags(n.meta);
  } catch (e) {
    if (!(e instanceof SerfDecodeError)) throw e;
    o.onBadTags?.(n.name, e);
    return new Map();
  }
}

function fromNode(n: NodeInfo, status: MemberStatus, o: MemberTableOptions): Member {
  return {
    name: n.name,
    addr: n.addr,
    host: n.host || ipToString(n.addr),
    port: n.port,
    tags: tagsOrEmpty(n, o),
    status,
    vsn: [...n.vsn],
  };
}

/** The member table; see the module documentation. */
export class MemberTable {
  readonly #opts: MemberTableOptions;
  readonly #members = new Map<string, MemberState>();
  readonly #intents = new Map<string, Intent>();
  /** Intents refused because the buffer was full. */
  intentsDropped = 0;

  constructor(opts: MemberTableOptions) {
    this.#opts = opts;
  }

  /** The member named `name`, if known. */
  get(name: string): Member | undefined {
    return this.#members.get(name)?.member;
  }
  /** Every known member. */
  all(): Member[] {
    return [...this.#members.values()].map((s) => s.member);
  }
  /** The number of known members. */
  get size(): number {
    return this.#members.size;
  }
  /** Lamport status time of every member (push/pull `StatusLTimes`). */
  statusLTimes(): Map<string, number> {
    return new Map([...this.#members].map(([n, s]) => [n, s.statusLTime]));
  }
  /** Members with the given status. */
  withStatus(status: MemberStatus): Member[] {
    return this.all().filter((m) => m.status === status);
  }

  #set(s: MemberState, patch: Partial<Member>): void {
    s.member = { ...s.member, ...patch };
  }

  /** memberlist NotifyJoin: a new or returning member is alive. */
  onJoin(n: NodeInfo): void {
    let s = this.#members.get(n.name);
    if (s === undefined) {
      s = { member: fromNode(n, MemberStatus.Alive, this.#opts), statusLTime: 0, leaveTimeMs: 0 };
      const intent = this.#intents.get(n.name);
      if (intent !== undefined) {
        s.statusLTime = intent.lTime;
        if (intent.kind === "leave") this.#set(s, { status: MemberStatus.Leaving });
        this.#intents.delete(n.name);
      }
      this.#members.set(n.name, s);
    } else {
      s.member = fromNode(n, MemberStatus.Alive, this.#opts);
      s.leaveTimeMs = 0;
    }
    this.#opts.emit({ type: "member-join", members: [s.member] });
  }

  /** memberlist NotifyLeave: leaving becomes left, alive becomes failed. */
  onLeave(n: NodeInfo): void {
    const s = this.#members.get(n.name);
    if (s === undefined) return;
    const from = s.member.status;
    if (from !== MemberStatus.Leaving && from !== MemberStatus.Alive) return;
    const status = from === MemberStatus.Leaving ? MemberStatus.Left : MemberStatus.Failed;
    this.#set(s, { status });
    s.leaveTimeMs = this.#opts.nowMs();
    this.#opts.emit({
      type: status === MemberStatus.Left ? "member-leave" : "member-failed",
      members: [s.member],
    });
  }

  /** memberlist NotifyUpdate: new tags or address. */
  onUpdate(n: NodeInfo): void {
    const s = this.#members.get(n.name);
    if (s === undefined) return;
    s.member = fromNode(n, s.member.status, this.#opts);
    this.#opts.emit({ type: "member-update", members: [s.member] });
  }

  #upsertIntent(node: string, kind: Intent["kind"], lTime: number): boolean {
    const old = this.#intents.get(node);
    if (old !== undefined && lTime <= old.lTime) return false;
    if (old === undefined && this.#intents.size >= this.#opts.recentIntentsMax) {
      this.intentsDropped++;
      return false;
    }
    this.#intents.set(node, { kind, lTime, atMs: this.#opts.nowMs() });
    return true;
  }

  /** A join intent (already witnessed). Returns whether to re-broadcast it. */
  joinIntent(node: string, lTime: number): boolean {
    const s = this.#members.get(node);
    if (s === undefined) return this.#upsertIntent(node, "join", lTime);
    if (lTime <= s.statusLTime) return false;
    s.statusLTime = lTime;
    if (s.member.status === MemberStatus.Leaving) this.#set(s, { status: MemberStatus.Alive });
    return true;
  }

  /**
   * A leave intent (already witnessed). `selfAlive` names us while we are alive: an intent about
   * us is then refuted rather than accepted.
   */
  leaveIntent(node: string, lTime: number, prune: boolean, selfAlive?: string): LeaveIntentResult {
    const s = this.#members.get(node);
    if (s === undefined) return this.#upsertIntent(node, "leave", lTime) ? "accepted" : "ignored";
    if (lTime <= s.statusLTime) return "ignored";
    if (node === selfAlive) return "refute";
    switch (s.member.status) {
      case MemberStatus.Alive:
        this.#set(s, { status: MemberStatus.Leaving });
        break;
      case MemberStatus.Failed:
        this.#set(s, { status: MemberStatus.Left });
        this.#opts.emit({ type: "member-leave", members: [s.member] });
        break;
      case MemberStatus.Leaving:
      case MemberStatus.Left:
        break;
      default:
        return "ignored";
    }
    s.statusLTime = lTime;
    if (prune) this.erase(node);
    return "accepted";
  }

  /** Removes a member entirely, emitting member-reap. */
  erase(name: string): void {
    const s = this.#members.get(name);
    if (s === undefined) return;
    this.#members.delete(name);
    this.#opts.emit({ type: "member-reap", members: [s.member] });
  }

  /** Erases failed members older than `failedMs` and left ones older than `leftMs`. */
  reap(failedMs: number, leftMs: number): void {
    const now = this.#opts.nowMs();
    for (const [name, s] of [...this.#members]) {
      const st = s.member.status;
      const limit = st === MemberStatus.Failed ? failedMs : st === MemberStatus.Left ? leftMs : -1;
      if (limit >= 0 && now - s.leaveTimeMs > limit) this.erase(name);
    }
  }

  /** Drops intents older than `timeoutMs`. */
  expireIntents(timeoutMs: number): void {
    const now = this.#opts.nowMs();
    for (const [name, i] of [...this.#intents]) {
      if (now - i.atMs > timeoutMs) this.#intents.delete(name);
    }
  }

  /** The number of buffered recent intents. */
  get intentCount(): number {
    return this.#intents.size;
  }
}
