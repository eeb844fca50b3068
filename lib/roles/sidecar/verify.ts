/**
 * Proof that a member owns the address it gossips from, before the sidecar routes traffic to it.
 *
 * Without a gossip key anyone can send an `alive` naming any node at any address; the source
 * check in {@linkcode QueryIntake} then compares an announce against a forged entry. So the
 * first announce of a member (per name and gossip address) is acted on only after a direct ping
 * to that address, naming the member, is acked: a node drops pings naming another node, and an
 * address nobody listens on acks nothing. Later announces of a verified member skip the ping.
 *
 * @module
 */

import type { Clock } from "../../clock.ts";
import type { Logger } from "../../log/logger.ts";
import { joinHostPort } from "../../serf/addr.ts";

/** How long the first verification ping waits for its ack (loopback ~1 ms, a LAN well under this). */
export const VERIFY_PING_TIMEOUT_MS = 400;
/** Pings per verification: UDP may lose one. */
export const VERIFY_PING_ATTEMPTS = 3;
/**
 * Each retry waits twice as long as the ping before it (400, 800, 1600 ms): a lost packet is
 * retried soon, and a member that is alive but slow to answer (a GC pause, a busy host, an event
 * loop behind its timers) still proves its address. With a fixed 400 ms, members of a 1000-task
 * swarm whose event loops ran 0.3–0.9 s behind had 955 announces refused ("did not answer a ping")
 * while they answered memberlist's probes (`deno task bench:scale 1000`, 2026-12-03).
 */
export const VERIFY_PING_BACKOFF = 2;
/** The longest a verification waits for its pings, all attempts together (2.8 s). */
export const VERIFY_PING_TOTAL_MS = Array.from(
  { length: VERIFY_PING_ATTEMPTS },
  (_, i) => VERIFY_PING_TIMEOUT_MS * VERIFY_PING_BACKOFF ** i,
).reduce((a, b) => a + b, 0);
/**
 * Verified members remembered (oldest forgotten first): one entry per task the sidecar routes,
 * so this is far above any fleet behind one HAProxy, and names come from the network.
 */
export const VERIFIED_MAX = 16_384;
/** Verifications in flight at once (each holds one pending ack); more wait their turn. */
export const VERIFYING_MAX = 256;
/**
 * Verifications waiting for one in flight to end, oldest first; beyond these, refused. A service
 * created or scaled out in one step announces hundreds of new members at once, and a replaced
 * sidecar's solicit brings every task's answer together: refusing the 257th at once answered it
 * "did not answer a ping" for a ping never sent, and left it to the task's retry.
 */
export const VERIFY_WAITING_MAX = 4096;

/** The gossip identity being verified. */
export interface Claim {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

/** What a {@linkcode MemberVerifier} works with. */
export interface MemberVerifierOptions {
  /** Pings member `name` at its gossip address; true when it acks within `timeoutMs`. */
  ping(name: string, timeoutMs: number): Promise<boolean>;
  readonly clock: Clock;
  readonly log: Logger;
}

/** See the module documentation. */
export class MemberVerifier {
  readonly #o: MemberVerifierOptions;
  /** Name → the gossip address it was verified at, oldest first. */
  readonly #verified = new Map<string, string>();
  /** `name@addr` → the verification running or waiting for it. */
  readonly #running = new Map<string, Promise<boolean>>();
  /** Checks holding one of the {@linkcode VERIFYING_MAX} places. */
  #inFlight = 0;
  /** Checks waiting for a place, oldest first. */
  readonly #waiting: (() => void)[] = [];
  /** Verifications refused because too many were running and waiting. */
  refusedBusy = 0;

  constructor(options: MemberVerifierOptions) {
    this.#o = options;
  }

  /** True when `claim` was verified at its current address. */
  isVerified(claim: Claim): boolean {
    return this.#verified.get(claim.name) === joinHostPort(claim.host, claim.port);
  }

  /** Forgets `name` (it rejoined, failed or left): its next announce is verified again. */
  forget(name: string): void {
    this.#verified.delete(name);
  }

  /**
   * Verifies `claim` with up to {@linkcode VERIFY_PING_ATTEMPTS} pings that all end before
   * `deadlineMs` (clock time); resolves true when one is acked.
   */
  verify(claim: Claim, deadlineMs: number): Promise<boolean> {
    if (this.isVerified(claim)) return Promise.resolve(true);
    const addr = joinHostPort(claim.host, claim.port);
    const key = `${claim.name}@${addr}`;
    const running = this.#running.get(key);
    if (running !== undefined) return running;
    if (this.#running.size >= VERIFYING_MAX + VERIFY_WAITING_MAX) {
      this.refusedBusy++;
      return Promise.resolve(false);
    }
    const check = this.#check(key, claim.name, addr, deadlineMs);
    this.#running.set(key, check);
    return check;
  }

  /** Verifications in flight and waiting. */
  get pending(): number {
    return this.#running.size;
  }

  async #check(key: string, name: string, addr: string, deadlineMs: number): Promise<boolean> {
    // a free place starts the ping now; otherwise wait for one (#leave hands it over)
    if (this.#inFlight < VERIFYING_MAX) this.#inFlight++;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    let acked = false;
    try {
      acked = await this.#ping(name, deadlineMs);
    } finally {
      this.#leave();
      this.#running.delete(key);
    }
    if (acked) this.#remember(name, addr);
    return acked;
  }

  /** Hands the place of a check that ended to the oldest waiting one. */
  #leave(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#inFlight--;
  }

  async #ping(name: string, deadlineMs: number): Promise<boolean> {
    const { clock } = this.#o;
    for (let attempt = 0; attempt < VERIFY_PING_ATTEMPTS; attempt++) {
      const ownMs = VERIFY_PING_TIMEOUT_MS * VERIFY_PING_BACKOFF ** attempt;
      const timeoutMs = Math.min(ownMs, deadlineMs - clock.nowMs());
      if (timeoutMs <= 0) break;
      if (await this.#o.ping(name, timeoutMs)) return true;
    }
    return false;
  }

  #remember(name: string, addr: string): void {
    this.#verified.delete(name);
    this.#verified.set(name, addr);
    for (const oldest of this.#verified.keys()) {
      if (this.#verified.size <= VERIFIED_MAX) break;
      this.#verified.delete(oldest);
    }
  }
}
