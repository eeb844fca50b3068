/**
 * The sidecar's drain watcher: answers `depart` queries and forgets drained servers once HAProxy
 * no longer has them. While something is draining it runs a reconciler pass every `pollMs` and
 * judges only observations taken after the pass was asked for, so a server added by an earlier
 * pass is never mistaken for one that is gone.
 *
 * @module
 */

import { type Clock, sleep, type TimerId } from "../../clock.ts";
import type { Reconciler } from "../../haproxy/reconciler.ts";
import type { Logger } from "../../log/logger.ts";
import {
  decodePayload,
  type DepartRequest,
  DepartRequestSchema,
  PayloadError,
} from "../../proto.ts";
import type { QueryEvent } from "../../serf/events.ts";
import { SerfError } from "../../serf/errors.ts";
import { cut, REASON_LENGTH_MAX } from "./announce.ts";
import {
  type DepartAnswer,
  DepartBook,
  type DepartSettlement,
  encodeDepartAnswer,
  type ObservedView,
} from "./depart.ts";
import type { SidecarMeter } from "./metrics.ts";
import type { Registry } from "./registry.ts";
import { errorText } from "../../log/error_text.ts";

/** Settings of a {@linkcode DrainWatch}. */
export interface DrainWatchOptions {
  readonly registry: Registry;
  readonly reconciler: Reconciler;
  readonly backends: readonly string[];
  /** Pushes the registry's desired servers to the reconciler. */
  readonly apply: () => void;
  readonly clock: Clock;
  readonly log: Logger;
  /** Interval of the watcher's passes while something drains. @default 200 */
  readonly pollMs?: number;
  /** Where depart counts and durations are recorded. */
  readonly meter?: SidecarMeter;
}

/** Answers departs and forgets drained servers; see the module documentation. */
export class DrainWatch {
  readonly #o: DrainWatchOptions;
  readonly #book = new DepartBook();
  readonly #queries = new Map<number, { event: QueryEvent; timer: TimerId }>();
  readonly #view: ObservedView;
  #enabled = false;
  #stopped = false;
  #loop: Promise<void> | undefined;
  /** Aborted by {@linkcode DrainWatch.stop}: ends the loop's pause. */
  readonly #stopping = new AbortController();

  constructor(options: DrainWatchOptions) {
    this.#o = options;
    this.#view = (backend) => options.reconciler.observed(backend);
  }

  /** Starts watching (once the reconciler runs and the registry is applied). */
  enable(): void {
    this.#enabled = true;
    this.poke();
  }

  /** Starts the watch loop if something is draining and it is not running. */
  poke(): void {
    if (!this.#enabled || this.#stopped || this.#loop) return;
    if (this.#book.size === 0 && !this.#o.registry.hasDraining()) return;
    this.#loop = this.#run().finally(() => (this.#loop = undefined));
  }

  /** Handles a `depart` query from a task. */
  onDepart(event: QueryEvent): void {
    const { registry, clock, log } = this.#o;
    const nowMs = clock.nowMs();
    const node = event.sourceNode;
    let request: DepartRequest;
    try {
      request = decodePayload(DepartRequestSchema, event.payload);
    } catch (err) {
      if (!(err instanceof PayloadError)) throw err;
      log.debug("sidecar.depart.undecodable", { node, error: err.message });
      return this.#send(event, { accepted: false, reason: cut(err.message, REASON_LENGTH_MAX) });
    }
    const immediate = request.timeoutSeconds === 0;
    const keys = immediate ? registry.remove(node) : registry.depart(node, nowMs);
    log.info("sidecar.depart", {
      node,
      backend: request.backend,
      servers: keys.join(","),
      timeout_seconds: request.timeoutSeconds,
      immediate,
    });
    if (keys.length === 0) {
      const reason = "no servers registered for this node";
      return this.#send(event, { accepted: true, reason, drained: true, remainingSessions: 0 });
    }
    this.#o.apply();
    const depart = this.#book.open(node, keys, { receivedMs: nowMs, deadlineMs: event.deadlineMs });
    if (!depart) {
      return this.#send(event, { accepted: false, reason: "too many departs in progress" });
    }
    const timer = clock.setTimer(depart.respondByMs - nowMs, () => this.#answerDue());
    this.#queries.set(depart.id, { event, timer });
    this.poke();
  }

  /** Stops the loop; departs still waiting are answered with `drained: false`. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const nowMs = this.#o.clock.nowMs();
    for (const s of this.#book.closeAll(this.#view, nowMs, "sidecar is stopping")) {
      this.#settle(s);
    }
    this.#stopping.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { registry, reconciler, clock, log } = this.#o;
    while (!this.#stopped && (this.#book.size > 0 || registry.hasDraining())) {
      const askedMs = clock.nowMs();
      try {
        await reconciler.reconcileOnce();
        this.#afterObservation(askedMs);
      } catch (err) {
        log.debug("sidecar.drain_watch.pass_failed", {
          error: errorText(err),
        });
      }
      if (this.#stopped) return;
      await sleep(this.#o.clock, this.#o.pollMs ?? 200, { signal: this.#stopping.signal });
    }
  }

  #afterObservation(askedMs: number): void {
    const { registry, reconciler, backends, clock, log } = this.#o;
    for (const s of this.#book.settle(this.#view, askedMs, clock.nowMs())) this.#settle(s);
    let forgotten = 0;
    for (const backend of backends) {
      const present = new Set(reconciler.observed(backend).map((s) => s.name));
      const gone = registry.forgetDrained(backend, present, askedMs);
      for (const key of gone) log.debug("sidecar.server.forgotten", { server: key });
      forgotten += gone.length;
    }
    if (forgotten > 0) this.#o.apply();
  }

  #answerDue(): void {
    for (const s of this.#book.due(this.#view, this.#o.clock.nowMs())) this.#settle(s);
  }

  #settle({ depart, answer }: DepartSettlement): void {
    const entry = this.#queries.get(depart.id);
    if (!entry) return;
    this.#queries.delete(depart.id);
    this.#o.clock.clearTimer(entry.timer);
    this.#o.log.info("sidecar.depart.answered", {
      node: depart.node,
      servers: depart.keys.join(","),
      drained: answer.drained,
      remaining_sessions: answer.remainingSessions,
      drain_ms: answer.drainMs,
      reason: answer.reason,
    });
    this.#send(entry.event, answer);
  }

  #send(event: QueryEvent, answer: Partial<DepartAnswer>): void {
    // A refusal takes no drain time; counting it at 0 s keeps the histogram's count in step.
    const seconds = (answer.drainMs ?? 0) / 1000;
    this.#o.meter?.query("depart", answer.accepted ? "accepted" : "rejected", seconds);
    try {
      event.respond(encodeDepartAnswer({ accepted: false, reason: "", ...answer }));
    } catch (err) {
      if (!(err instanceof SerfError)) throw err;
      this.#o.log.warn("sidecar.depart.respond_failed", {
        node: event.sourceNode,
        error: err.message,
      });
    }
  }
}
