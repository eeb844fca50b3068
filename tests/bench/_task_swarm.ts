/**
 * An in-process swarm of Go-style tasks for the scale benchmark: each member is one of our gossip
 * nodes (memberlist + serf, `role=task`) on its own loopback address, with a tiny HTTP listener
 * standing in for its worker. It speaks the task side of the role protocol with the same code a
 * `shoal task` uses — `announce` with the protobuf `AnnounceRequest`, answers to `solicit`, and
 * `depart` with a drain budget — but no worker process and no supervisor, so a thousand of them
 * fit on one machine.
 *
 * @module
 */

import { systemClock } from "../../lib/clock.ts";
import type { GossipConfig } from "../../lib/config.ts";
import { type Logger, nullLogger } from "../../lib/log/logger.ts";
import { GossipRuntime } from "../../lib/roles/gossip_runtime.ts";
import { announcePayload, departPayload } from "../../lib/roles/task/messages.ts";
import {
  aliveSidecars,
  announceRound,
  type DepartRound,
  departRound,
} from "../../lib/roles/task/rounds.ts";
import { taskTags } from "../../lib/roles/task/runner.ts";
import { denoGossipHost } from "../../lib/roles/gossip_runtime_host.ts";

/** The worker port of every member (each has its own address). */
export const WORKER_PORT = 8080;
const HTTP_OK = new TextEncoder().encode(
  "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
);

/** Joins a member tries before the benchmark gives up. */
const JOIN_ATTEMPTS = 10;

/** One swarm member. */
export interface SwarmTask {
  readonly name: string;
  readonly host: string;
  readonly runtime: GossipRuntime;
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
  readonly #listeners: Deno.Listener[] = [];
  readonly #net: number;
  /** Joins that had to be tried again. */
  joinRetries = 0;

  constructor(net: number) {
    this.#net = net;
  }

  /** Starts members `from .. from+count-1` and joins each to `join`. */
  async grow(count: number, join: string): Promise<SwarmTask[]> {
    const from = this.tasks.length;
    const idx = Array.from({ length: count }, (_, k) => from + k);
    const started = await pool(idx, 16, async (i) => {
      const host = swarmHost(this.#net, i);
      this.#serveWorker(host);
      const runtime = await GossipRuntime.start(memberConfig(`swarm-${i}`, host), {
        ...denoGossipHost,
        roleTags: taskTags(new Map(), "ready"),
        logger: nullLogger,
        clock: systemClock,
        prng: Math.random,
      });
      const task = { name: `swarm-${i}`, host, runtime };
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
   * task's announcer retries), at most `attempts` times. Resolves to the rounds that were needed
   * and the refusals seen.
   */
  async announce(
    tasks: readonly SwarmTask[],
    attempts = 10,
  ): Promise<{ rounds: number; refusals: Map<string, number>; failed: string[] }> {
    const refusals = new Map<string, number>();
    const failed: string[] = [];
    let rounds = 0;
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
        if (r.accepted > 0) return;
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
    return { rounds, refusals, failed };
  }

  /** `tasks` depart at once with `budgetMs` each (as `shoal task` on SIGTERM), then leave. */
  depart(tasks: readonly SwarmTask[], budgetMs: number): Promise<DepartRound[]> {
    return Promise.all(tasks.map(async (t) => {
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
    for (const l of this.#listeners) l.close();
  }

  #serveWorker(host: string): void {
    const listener = Deno.listen({ hostname: host, port: WORKER_PORT });
    this.#listeners.push(listener);
    (async () => {
      // Not `for await`: Deno's listener iterator ends at the first failed accept, and a check
      // HAProxy abandons (reset before accept) fails one with ENOTCONN.
      while (true) {
        let conn: Deno.Conn;
        try {
          conn = await listener.accept();
        } catch (err) {
          if (err instanceof Deno.errors.BadResource) return; // closed
          continue;
        }
        answerCheck(conn);
      }
    })();
  }
}

/**
 * HAProxy's `option httpchk GET /`: read the request (closing with it unread would reset the
 * connection before HAProxy reads the answer), answer 200, close.
 */
async function answerCheck(conn: Deno.Conn): Promise<void> {
  try {
    const buf = new Uint8Array(4096);
    let seen = "";
    while (!seen.includes("\r\n\r\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      seen += new TextDecoder().decode(buf.subarray(0, n));
    }
    await conn.write(HTTP_OK);
  } catch {
    // HAProxy gave up on this check (timeout) and reset the connection
  } finally {
    conn.close();
  }
}

function served() {
  return { port: WORKER_PORT, backend: null, weight: null };
}

function answerSolicits(t: SwarmTask): void {
  t.runtime.serf.subscribe((e) => {
    if (e.type === "query" && e.name === "solicit") {
      try {
        e.respond(announcePayload(served(), "ready"));
      } catch {
        // the solicit timed out already
      }
    }
  });
}

function memberConfig(node: string, host: string): GossipConfig {
  return {
    node,
    bind: { host, port: 7946 },
    advertise: null,
    join: [],
    tags: new Map(),
    encryptKey: null,
    insecure: true,
    rpcAddr: null,
    rpcAuth: null,
    snapshotDir: null,
    // SCALE_SWARM_PROFILE=wan: memberlist's WAN timers (probe every 5 s, gossip every 500 ms), so
    // more members fit in this one event loop (their departs then spread more slowly).
    profile: Deno.env.get("SCALE_SWARM_PROFILE") === "wan" ? "wan" : "lan",
    reconnectTimeoutMs: 24 * 3600_000,
    tombstoneTimeoutMs: 24 * 3600_000,
    metricsAddr: null,
  };
}
