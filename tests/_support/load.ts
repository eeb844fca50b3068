/**
 * A fixed-rate HTTP load loop (through HAProxy, in the e2e tests and benchmarks), every answer
 * kept.
 *
 * @module
 */

/** One request of a {@linkcode Load} run. */
export interface LoadResult {
  /** When it was sent, `performance.now()` ms. */
  readonly sentMs: number;
  readonly latencyMs: number;
  /** HTTP status, or 0 when the request itself failed. */
  readonly status: number;
  /** The body (`hello from <task>`) or the error text. */
  readonly body: string;
}

/** Options of {@linkcode Load}. */
export interface LoadOptions {
  /** Requests per second, sent at a fixed pace whatever the answers take. */
  readonly ratePerS: number;
  /** Stops by itself after this long, if {@linkcode Load.stop} was not called. */
  readonly maxMs: number;
  /** Per-request timeout. @default 3000 */
  readonly timeoutMs?: number;
  /** The client to fetch with (e.g. `unixClient` of `cluster_e2e.ts`). */
  readonly client?: Deno.HttpClient;
}

/**
 * Fixed-rate GETs to `url` (each on a new connection), bounded by `maxMs`; every answer is kept.
 * Pacing is by deadline, not by sleeping after each answer, so slow answers do not lower the rate.
 */
export class Load {
  readonly results: LoadResult[] = [];
  readonly #inflight = new Set<Promise<void>>();
  readonly #done: Promise<void>;
  #stopped = false;
  #wake: (() => void) | undefined;

  constructor(url: string, o: LoadOptions) {
    this.#done = this.#run(url, o);
  }

  /** Resolves once the run ended by itself (after `maxMs`) and every answer arrived. */
  async finished(): Promise<LoadResult[]> {
    await this.#done;
    return this.results;
  }

  /** Stops sending and waits for the requests in flight. */
  async stop(): Promise<LoadResult[]> {
    this.#stopped = true;
    this.#wake?.();
    await this.#done;
    return this.results;
  }

  /** The requests that did not get a 200. */
  failures(): LoadResult[] {
    return this.results.filter((r) => r.status !== 200);
  }

  /** Requests answered by each task (from the body), successful ones only. */
  byTask(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.results) {
      if (r.status !== 200) continue;
      const who = r.body.replace(/^hello from /, "").trim();
      counts.set(who, (counts.get(who) ?? 0) + 1);
    }
    return counts;
  }

  async #run(url: string, o: LoadOptions): Promise<void> {
    const startMs = performance.now();
    const periodMs = 1000 / o.ratePerS;
    for (let i = 0; !this.#stopped; i++) {
      const dueMs = startMs + i * periodMs;
      if (dueMs - startMs > o.maxMs) break;
      const waitMs = dueMs - performance.now();
      if (waitMs > 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, waitMs);
          this.#wake = () => (clearTimeout(t), resolve());
        });
        this.#wake = undefined;
        if (this.#stopped) break;
      }
      const p = this.#one(url, o.timeoutMs ?? 3000, o.client).finally(() =>
        this.#inflight.delete(p)
      );
      this.#inflight.add(p);
    }
    await Promise.all(this.#inflight);
  }

  async #one(url: string, timeoutMs: number, client?: Deno.HttpClient): Promise<void> {
    const sentMs = performance.now();
    let status = 0;
    let body = "";
    try {
      const res = await fetch(url, {
        headers: { connection: "close" },
        signal: AbortSignal.timeout(timeoutMs),
        ...(client === undefined ? {} : { client }),
      });
      status = res.status;
      body = await res.text();
    } catch (err) {
      body = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    this.results.push({ sentMs, latencyMs: performance.now() - sentMs, status, body });
  }
}
