/**
 * The scale benchmark's side of its load generators: starts N `_scale_gen.ts` processes, each
 * hosting its share of the swarm in its own event loop (member k of generator g is
 * `swarm-<g*1000+k>` on `swarmHost(net, g*1000+k)`), and sends them the same request at once.
 *
 * @module
 */

import type { DepartAnswer, GenAnswer, GenRequest, GrowAnswer } from "./_scale_gen.ts";

const GEN = new URL("./_scale_gen.ts", import.meta.url).pathname;
/** Member indices each generator may use (addresses 127.<net>.<1 + i / 250>.<1 + i % 250>). */
const STRIDE = 1000;

class Generator {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: AsyncIterator<string>;
  /** Members started so far. */
  size = 0;
  /** Its check responders' processes. */
  responderPids: number[] = [];

  constructor(net: number, index: number, flags: readonly string[]) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", ...flags, GEN, String(net), String(index * STRIDE)],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    this.#lines = lines(this.#child.stdout)[Symbol.asyncIterator]();
  }

  get pid(): number {
    return this.#child.pid;
  }

  async ask(req: GenRequest): Promise<GenAnswer> {
    await this.#writer.write(new TextEncoder().encode(JSON.stringify(req) + "\n"));
    const next = await this.#lines.next();
    if (next.done) throw new Error(`generator ${this.pid} exited`);
    const a = JSON.parse(next.value) as GenAnswer;
    if (a.op === "error") throw new Error(`generator ${this.pid}: ${a.message}`);
    return a;
  }

  /** Asks it to stop; SIGKILLs it (its pid only) after 10 s. */
  async stop(): Promise<void> {
    const t = setTimeout(() => this.kill(), 10_000);
    await this.ask({ op: "stop" }).catch(() => {});
    await this.#child.status;
    clearTimeout(t);
    this.kill(); // its check responders, should it have died without stopping them
  }

  kill(): void {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // exited already
    }
    for (const pid of this.responderPids) {
      try {
        Deno.kill(pid, "SIGKILL"); // a check responder this generator started (its pid only)
      } catch {
        // exited already
      }
    }
  }
}

async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buf = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, nl);
      buf = buf.slice(nl + 1);
    }
  }
}

/** Summed over the generators' answers to one request. */
export interface GrowTotals {
  readonly names: string[];
  readonly rounds: number;
  readonly joinRetries: number;
  readonly refusals: Map<string, number>;
  readonly failed: string[];
  readonly lastAcceptedAt: number;
  /** Worst event-loop lag (ms) of any generator, and their summed RSS (MB). */
  readonly worstLagMs: number;
  readonly rssMb: number;
  /** CPU seconds the generators used so far, summed. */
  readonly cpuS: number;
}

/** N generator processes sharing one swarm. */
export class SwarmProcs {
  readonly #gens: Generator[];

  /** `flags`: extra `deno run` flags of each generator (e.g. `--v8-flags=...`). */
  constructor(procs: number, net: number, flags: readonly string[] = []) {
    this.#gens = Array.from({ length: procs }, (_, i) => new Generator(net, i, flags));
  }

  get pids(): number[] {
    return this.#gens.map((g) => g.pid);
  }

  /** Members hosted so far. */
  get size(): number {
    return this.#gens.reduce((n, g) => n + g.size, 0);
  }

  /**
   * Starts `count` more members, spread evenly, each joining `join` and announcing; `perSecond`
   * members in all start each second.
   */
  async grow(count: number, join: string, perSecond: number): Promise<GrowTotals> {
    const intervalMs = perSecond > 0 ? 1000 * this.#gens.length / perSecond : 0;
    const target = this.size + count;
    const answers = await Promise.all(this.#gens.map(async (g, i) => {
      const share = Math.floor(target / this.#gens.length) +
        (i < target % this.#gens.length ? 1 : 0) - g.size;
      const a = await g.ask({
        op: "grow",
        count: Math.max(0, share),
        join,
        intervalMs,
      }) as GrowAnswer;
      g.size += a.names.length;
      g.responderPids = a.responderPids;
      return a;
    }));
    const refusals = new Map<string, number>();
    for (const a of answers) {
      for (const [k, v] of Object.entries(a.refusals)) refusals.set(k, (refusals.get(k) ?? 0) + v);
    }
    return {
      names: answers.flatMap((a) => a.names),
      rounds: sum(answers.map((a) => a.rounds)),
      joinRetries: sum(answers.map((a) => a.joinRetries)),
      refusals,
      failed: answers.flatMap((a) => a.failed),
      lastAcceptedAt: Math.max(...answers.map((a) => a.lastAcceptedAt)),
      worstLagMs: Math.max(...answers.map((a) => a.lagMs)),
      rssMb: sum(answers.map((a) => a.rssMb)),
      cpuS: sum(answers.map((a) => a.cpuMs)) / 1000,
    };
  }

  /** `count` members (the last ones of each generator, spread evenly) depart at the same moment. */
  async depart(count: number, budgetMs: number): Promise<DepartAnswer[]> {
    const n = this.#gens.length;
    return await Promise.all(this.#gens.map((g, i) => {
      const share = Math.floor(count / n) + (i < count % n ? 1 : 0);
      return g.ask({ op: "depart", count: share, budgetMs }) as Promise<DepartAnswer>;
    }));
  }

  /** The generators' worst loop lag (ms) since the last request, CPU s so far and RSS MB, summed. */
  async health(): Promise<{ lagMs: number; cpuS: number; rssMb: number }> {
    const hs = await Promise.all(this.#gens.map((g) => g.ask({ op: "health" })));
    return {
      lagMs: Math.max(0, ...hs.map((h) => h.lagMs)),
      cpuS: sum(hs.map((h) => h.cpuMs)) / 1000,
      rssMb: sum(hs.map((h) => h.rssMb)),
    };
  }

  /** Stops every generator (SIGKILL to its own pid after 10 s). */
  async stop(): Promise<void> {
    await Promise.all(this.#gens.map((g) => g.stop()));
  }

  /** SIGKILLs every generator at once (^C). */
  kill(): void {
    for (const g of this.#gens) g.kill();
  }
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
