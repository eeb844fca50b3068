/**
 * An in-process swarm of Go-style tasks for the scale benchmark: each member is one of our gossip
 * nodes (memberlist + serf, `role=task`) on its own loopback address, with an HTTP responder
 * standing in for its worker (`_scale_checks.ts`). It speaks the task side of the role protocol with the same code a
 * `shoal task` uses — `announce` with the protobuf `AnnounceRequest`, answers to `solicit`, and
 * `depart` with a drain budget — but no worker process and no supervisor, so a thousand of them
 * fit on one machine.
 *
 * @module
 */

import { systemClock } from "../../lib/clock.ts";
import { type Logger, nullLogger } from "../../lib/log/logger.ts";
import { announcePayload, departPayload } from "../../lib/roles/task/messages.ts";
import {
  aliveSidecars,
  announceRound,
  type DepartRound,
  departRound,
} from "../../lib/roles/task/rounds.ts";
import { taskTags } from "../../lib/roles/task/runner.ts";
import { startMember, SWARM_PREFIX, swarmGossipConfig, type SwarmMember } from "./_scale_member.ts";
import { type CheckResponder, responderKind, serveChecks, WORKER_PORT } from "./_scale_checks.ts";

export { WORKER_PORT };

/** Joins a member tries before the benchmark gives up. */
const JOIN_ATTEMPTS = 10;

/** One swarm member. */
export interface SwarmTask {
  readonly name: string;
  readonly host: string;
  readonly runtime: SwarmMember;
  /** What it announces and answers to `solicit` (as a task's lifecycle state). */
  state: "ready" | "draining";
}

/** The address of member `i` (0-based): 127.<net>.<1 + i / 250>.<1 + i % 250>. */
export function swarmHost(net: number, i: number): string {
  return `127.${net}.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
}

/** Runs `fn` over `items` with at most `limit` at a time. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

/** The members of one benchmark run; {@linkcode TaskSwarm.stop} closes all of them. */
export class TaskSwarm {
  readonly tasks: SwarmTask[] = [];
  readonly #responders: CheckResponder[] = [];
  /** What answers the members' health checks (`SCALE_CHECK_RESPONDER`, `_scale_checks.ts`). */
  readonly responder = responderKind();
  readonly #net: number;
  #next: number;
  /** Members below this index have a check responder. */
  #served: number;
  readonly #config = swarmGossipConfig();
  /** Joins that had to be tried again. */
  joinRetries = 0;

  /** Members are numbered from `first` (a generator process hosts one range of a swarm). */
  constructor(net: number, first = 0) {
    this.#net = net;
    this.#next = first;
    this.#served = first;
  }

  /**
   * Starts the responder of the next `count` members' health checks (one for the whole batch, so
   * members started one at a time need not have one each); `grow` does it for any not covered.
   */
  async prepare(count: number): Promise<void> {
    const upTo = this.#next + count;
    if (upTo <= this.#served) return;
    const hosts = Array.from({ length: upTo - this.#served }, (_, k) => this.#served + k)
      .map((i) => swarmHost(this.#net, i));
    this.#served = upTo;
    this.#responders.push(await serveChecks(this.responder, hosts));
  }

  /** Process ids of the check responders (HAProxy), for a benchmark that must kill them. */
  get responderPids(): number[] {
    return this.#responders.flatMap((r) => r.pid === undefined ? [] : [r.pid]);
  }

  /** Starts the next `count` members and joins each to `join` (calls may overlap). */
  async grow(count: number, join: string): Promise<SwarmTask[]> {
    const from = this.#next;
    this.#next += count;
    const idx = Array.from({ length: count }, (_, k) => from + k);
    await this.prepare(count);
    const started = await pool(idx, 16, async (i) => {
      const host = swarmHost(this.#net, i);
      const runtime = startMember(
        `${SWARM_PREFIX}${i}`,
        host,
        taskTags(new Map(), "ready"),
        this.#config,
      );
      const task: SwarmTask = { name: `${SWARM_PREFIX}${i}`, host, runtime, state: "ready" };
      answerSolicits(task);
      // As a task's joiner does: try again until the sidecar answers.
      for (let attempt = 1; (await runtime.join([join])) === 0; attempt++) {
        this.joinRetries++;
        if (attempt === JOIN_ATTEMPTS) throw new Error(`swarm-${i} could not join ${join}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
      return task;
    });
    this.tasks.push(...started);
    return started;
  }

  /**
   * Each of `tasks` announces itself ready, again after 1 s until a sidecar accepts (as the
   * task's announcer retries), at most `attempts` times. Resolves to the rounds that were needed,
   * the refusals seen and when (epoch ms) the last announce was accepted.
   */
  async announce(
    tasks: readonly SwarmTask[],
    attempts = 10,
  ): Promise<
    { rounds: number; refusals: Map<string, number>; failed: string[]; lastAcceptedAt: number }
  > {
    const refusals = new Map<string, number>();
    const failed: string[] = [];
    let rounds = 0;
    let lastAcceptedAt = 0;
    const log: Logger = {
      ...nullLogger,
      warn: (event, fields) => {
        const why = `${event}: ${String(fields?.reason ?? "")}`;
        refusals.set(why, (refusals.get(why) ?? 0) + 1);
      },
    };
    await pool(tasks, 64, async (t) => {
      for (let i = 0; i < attempts; i++) {
        rounds++;
        const r = await announceRound(t.runtime.serf, {
          payload: announcePayload(served(), "ready"),
          state: "ready",
          log,
        });
        if (r.accepted > 0) {
          lastAcceptedAt = Math.max(lastAcceptedAt, Date.now());
          return;
        }
        if (r.answered === 0) {
          const why = aliveSidecars(t.runtime.serf) === 0
            ? "no answer: no sidecar alive in the member's view"
            : "no answer: the query timed out";
          refusals.set(why, (refusals.get(why) ?? 0) + 1);
        }
        await new Promise((res) => setTimeout(res, 1000));
      }
      failed.push(t.name);
    });
    return { rounds, refusals, failed, lastAcceptedAt };
  }

  /** `tasks` depart at once with `budgetMs` each (as `shoal task` on SIGTERM), then leave. */
  depart(tasks: readonly SwarmTask[], budgetMs: number): Promise<DepartRound[]> {
    return Promise.all(tasks.map(async (t) => {
      t.state = "draining"; // a task answers solicits with its state: no "ready" from here on
      t.runtime.serf.setTags(taskTags(new Map(), "draining"));
      const payload = departPayload(served(), {
        addr: t.host,
        timeoutSeconds: Math.floor(budgetMs / 1000),
      });
      return await departRound(t.runtime.serf, {
        payload,
        timeoutMs: budgetMs,
        clock: systemClock,
        log: nullLogger,
      });
    }));
  }

  /** Closes every member (without leaving) and every worker listener. */
  async stop(): Promise<void> {
    await pool(this.tasks, 64, (t) => t.runtime.close());
    await Promise.all(this.#responders.map((r) => r.close()));
  }
}

function served() {
  return { port: WORKER_PORT, backend: null, weight: null };
}

function answerSolicits(t: SwarmTask): void {
  t.runtime.serf.subscribe((e) => {
    if (e.type === "query" && e.name === "solicit") {
      try {
        e.respond(announcePayload(served(), t.state));
      } catch {
        // the solicit timed out already
      }
    }
  });
}
