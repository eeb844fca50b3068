/**
 * TaskRunner's wiring, driven deterministically: a virtual clock, serf's real query collector
 * behind a recording serf, and a worker whose start and exit the test controls.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { seededPrng } from "../../lib/clock.ts";
import { MemoryLogger } from "../../lib/log/logger.ts";
import {
  AnnounceRequestSchema,
  AnnounceResponseSchema,
  decodePayload,
  DepartRequestSchema,
  DepartResponseSchema,
  encodePayload,
} from "../../lib/proto.ts";
import { TaskRunner, type TaskWorker } from "../../lib/roles/task/runner.ts";
import { type Member, MemberStatus, type QueryParams, type SerfEvent } from "../../lib/serf/mod.ts";
import { QueryCollector } from "../../lib/serf/query_collector.ts";
import { type ExitStatus, WorkerExitedError } from "../../lib/supervisor/mod.ts";
import { exitedStatus, signaledStatus } from "../../lib/supervisor/exit_status.ts";
import { VirtualClock } from "../_support/virtual_clock.ts";

function member(name: string, role: string): Member {
  return {
    name,
    addr: Uint8Array.of(127, 0, 0, 1),
    host: "127.0.0.1",
    port: 7946,
    tags: new Map([["role", role]]),
    status: MemberStatus.Alive,
    vsn: [1, 5, 5, 2, 5, 5],
  };
}

interface SentQuery {
  readonly name: string;
  readonly payload: Uint8Array;
  readonly params: QueryParams;
  readonly collector: QueryCollector;
  answer(from: string, payload: Uint8Array): void;
}

/** A serf that records queries and tags; answers come from the test. */
class RecordingSerf {
  readonly queries: SentQuery[] = [];
  readonly tags: Map<string, string>[] = [];
  readonly listeners = new Set<(e: SerfEvent) => void>();
  membersNow: Member[] = [];
  #lTime = 0;

  constructor(readonly clock: VirtualClock) {}

  subscribe(l: (e: SerfEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  setTags(t: ReadonlyMap<string, string>): void {
    this.tags.push(new Map(t));
  }
  members(): Member[] {
    return this.membersNow;
  }
  query(name: string, payload: Uint8Array, params: QueryParams = {}): QueryCollector {
    const lTime = ++this.#lTime;
    const expected = new Set(
      this.membersNow.filter((m) => m.tags.get("role") === "sidecar").map((m) => m.name),
    );
    const collector = new QueryCollector({
      id: lTime,
      lTime,
      deadlineMs: this.clock.nowMs() + (params.timeoutMs ?? 1_000),
      ackRequested: false,
      expected,
      capacity: 16,
      clock: this.clock,
      ...(params.onResponse ? { onResponse: params.onResponse } : {}),
    });
    const answer = (from: string, p: Uint8Array) =>
      collector.handle({ lTime, id: lTime, from, flags: 0, payload: p });
    this.queries.push({ name, payload, params, collector, answer });
    return collector;
  }
  emit(e: SerfEvent): void {
    for (const l of this.listeners) l(e);
  }
  named(name: string): SentQuery[] {
    return this.queries.filter((q) => q.name === name);
  }
}

/** A worker the test starts and ends. */
class ScriptedWorker implements TaskWorker {
  stops = 0;
  address: { port: number } | undefined = { port: 8080 };
  pid: number | undefined = 42;
  #ready!: () => void;
  #fail!: (e: unknown) => void;
  #exit!: (s: ExitStatus) => void;
  readonly exited = new Promise<ExitStatus>((r) => (this.#exit = r));
  readonly #started = new Promise<void>((res, rej) => ((this.#ready = res), (this.#fail = rej)));

  start(): Promise<void> {
    return this.#started;
  }
  stop(): Promise<ExitStatus> {
    this.stops++;
    return this.exited;
  }
  becomeReady(): void {
    this.#ready();
  }
  failStart(e: unknown): void {
    this.#fail(e);
  }
  exit(s: ExitStatus): void {
    this.#exit(s);
  }
}

function setup(
  o: { sidecars?: string[]; drainTimeoutMs?: number; onRegistered?: (n: number) => void } = {},
) {
  const clock = new VirtualClock();
  const serf = new RecordingSerf(clock);
  serf.membersNow = [
    member("task-1", "task"),
    ...(o.sidecars ?? []).map((n) => member(n, "sidecar")),
  ];
  const worker = new ScriptedWorker();
  const log = new MemoryLogger();
  const calls: string[] = [];
  const runner = new TaskRunner({
    gossip: {
      serf,
      advertiseHost: "10.0.0.5",
      localName: "task-1",
      suspected: () => new Set<string>(),
      onSuspect: () => () => {},
      join: (addrs) => (calls.push(`join ${addrs.join(",")}`), Promise.resolve(1)),
      leave: () => (calls.push("leave"), Promise.resolve()),
      close: () => (calls.push("close"), Promise.resolve()),
    },
    worker,
    tags: new Map([["az", "a"], ["role", "ignored"]]),
    backend: "web",
    weight: null,
    drainTimeoutMs: o.drainTimeoutMs ?? 10_000,
    joinTargets: () => Promise.resolve(["127.0.0.1:7946"]),
    clock,
    prng: seededPrng(5),
    log,
    ...(o.onRegistered ? { onRegistered: o.onRegistered } : {}),
  });
  return { clock, serf, worker, log, calls, runner, code: runner.run() };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 30; i++) await Promise.resolve();
}

/** A shoal sidecar's accept names the server (one that does not is repeated: see Announcer). */
const accepted = encodePayload(AnnounceResponseSchema, {
  accepted: true,
  reason: "",
  server: "shoal-t1",
  backend: "web",
});
const departed = encodePayload(DepartResponseSchema, { accepted: true, reason: "", drained: true });

Deno.test("TaskRunner: ready sets role/state tags, joins and announces the bound port", async () => {
  const t = setup({ sidecars: ["sc-1"] });
  t.worker.becomeReady();
  await settle();
  const last = t.serf.tags.at(-1)!;
  deepStrictEqual([last.get("role"), last.get("state"), last.get("az")], ["task", "ready", "a"]);
  ok(t.calls.includes("join 127.0.0.1:7946"));
  const announce = t.serf.named("announce")[0]!;
  deepStrictEqual(announce.params.filterTags, new Map([["role", "^sidecar$"]]));
  const req = decodePayload(AnnounceRequestSchema, announce.payload);
  deepStrictEqual([req.port, req.backend, req.state], [8080, "web", "ready"]);
  announce.answer("sc-1", accepted);
  await settle();
  equal(t.log.named("task.announce.accepted")[0]?.fields.sidecar, "sc-1");
  t.runner.requestStop("SIGTERM");
  t.serf.named("depart")[0]!.answer("sc-1", departed);
  await settle();
  t.worker.exit(signaledStatus(15));
  await t.clock.advance(2_000);
  equal(await t.code, 143);
});

Deno.test("TaskRunner: SIGTERM stops the worker only after every sidecar answered depart", async () => {
  const t = setup({ sidecars: ["sc-1", "sc-2"], drainTimeoutMs: 10_000 });
  t.worker.becomeReady();
  await settle();
  t.runner.requestStop("SIGTERM");
  await settle();
  equal(t.serf.tags.at(-1)!.get("state"), "draining");
  const depart = t.serf.named("depart")[0]!;
  equal(depart.params.timeoutMs, 10_000);
  const req = decodePayload(DepartRequestSchema, depart.payload);
  deepStrictEqual([req.addr, req.port, req.backend, req.timeoutSeconds], [
    "10.0.0.5",
    8080,
    "web",
    10,
  ]);
  depart.answer("sc-1", departed);
  await t.clock.advance(3_000);
  equal(t.worker.stops, 0, "sc-2 has not answered yet");
  depart.answer("sc-2", departed);
  await settle();
  equal(t.worker.stops, 1);
  equal(t.clock.nowMs(), 3_000, "no wait past the last answer");
  t.worker.exit(exitedStatus(0));
  await settle();
  equal(await t.code, 0);
  deepStrictEqual(t.calls.slice(-2), ["leave", "close"]);
  ok(t.log.named("task.exit").length === 1);
});

Deno.test("TaskRunner: a sidecar that never answers depart delays the stop by the drain timeout only", async () => {
  const t = setup({ sidecars: ["sc-1"], drainTimeoutMs: 4_000 });
  t.worker.becomeReady();
  await settle();
  t.runner.requestStop("SIGTERM");
  await t.clock.advance(3_999);
  equal(t.worker.stops, 0);
  await t.clock.advance(1);
  await settle();
  equal(t.worker.stops, 1);
  t.worker.exit(exitedStatus(0));
  await settle();
  equal(await t.code, 0);
});

Deno.test("TaskRunner: no sidecar yet, announces retry until one joins, then it is announced at once", async () => {
  const t = setup({ sidecars: [] });
  t.worker.becomeReady();
  await t.clock.advance(2_000);
  equal(t.serf.named("announce").length, 0, "nobody to ask: no query sent");
  ok(t.log.named("task.announce.retry").length >= 2);
  const sc = member("sc-late", "sidecar");
  t.serf.membersNow = [...t.serf.membersNow, sc];
  t.serf.emit({ type: "member-join", members: [sc] });
  await settle();
  equal(
    t.serf.named("announce").length,
    1,
    "member-join of a sidecar re-announces without waiting",
  );
  t.serf.named("announce")[0]!.answer("sc-late", accepted);
  await t.clock.advance(60_000);
  equal(t.serf.named("announce").length, 1, "accepted: no more retries");
  t.runner.requestStop("SIGTERM");
  t.serf.named("depart")[0]!.answer("sc-late", departed);
  await settle();
  t.worker.exit(exitedStatus(0));
  await t.clock.advance(2_000);
  equal(await t.code, 0);
});

Deno.test("TaskRunner answers solicit with its current state", async () => {
  const t = setup({ sidecars: ["sc-1"] });
  const answers: Uint8Array[] = [];
  const solicit = () =>
    t.serf.emit({
      type: "query",
      lTime: 1,
      id: 1,
      name: "solicit",
      payload: new Uint8Array(0),
      sourceNode: "sc-1",
      sourceAddr: { host: "127.0.0.1", port: 7946 },
      deadlineMs: 1e9,
      respond: (p) => answers.push(p),
    });
  solicit();
  t.worker.becomeReady();
  await settle();
  t.runner.onWorkerEvent({ type: "unhealthy" });
  solicit();
  const states = answers.map((a) => decodePayload(AnnounceRequestSchema, a).state);
  deepStrictEqual(states, ["starting", "unhealthy"]);
  t.worker.exit(exitedStatus(0));
  await t.clock.advance(3_000);
  equal(await t.code, 0);
});

Deno.test("TaskRunner: a ready timeout exits 1 without joining, announcing or leaving", async () => {
  const t = setup({ sidecars: ["sc-1"] });
  t.worker.failStart(new Error("Worker did not become ready (tcp) within 100 ms"));
  equal(await t.code, 1);
  deepStrictEqual(t.calls, ["close"]);
  equal(t.serf.queries.length, 0);
});

Deno.test("TaskRunner: a worker that exits before ready exits with its status", async () => {
  const t = setup({ sidecars: ["sc-1"] });
  t.worker.failStart(new WorkerExitedError(exitedStatus(9)));
  equal(await t.code, 9);
  deepStrictEqual(t.calls, ["close"]);
});

Deno.test("TaskRunner: SIGTERM while the worker starts stops it, never joins or announces", async () => {
  const t = setup({ sidecars: ["sc-1"] });
  t.runner.requestStop("SIGTERM");
  equal(t.worker.stops, 1);
  t.worker.failStart(new WorkerExitedError(signaledStatus(15)));
  equal(await t.code, 143);
  deepStrictEqual(t.calls, ["close"]);
  equal(t.serf.queries.length, 0);
  equal(t.log.named("task.start_cancelled").length, 1);
});

Deno.test("TaskRunner: a sidecar that refuses us as unknown is joined at once; acceptances count", async () => {
  const registered: number[] = [];
  const t = setup({ sidecars: ["sc-1"], onRegistered: (n) => registered.push(n) });
  t.worker.becomeReady();
  await settle();
  equal(t.runner.registrationHealth().ok, false, "nobody accepted yet");
  const joins = () => t.calls.filter((c) => c.startsWith("join ")).length;
  equal(joins(), 1, "the first join");
  const refusal = encodePayload(AnnounceResponseSchema, {
    accepted: false,
    reason: "the announcing node is not a known cluster member",
  });
  t.serf.named("announce")[0]!.answer("sc-1", refusal);
  await settle();
  await t.clock.advance(1);
  await settle();
  equal(joins(), 2, t.calls.join("; "));
  equal(t.log.named("task.rejoin")[0]?.fields.reason, "a sidecar does not hold us alive");
  await t.clock.advance(1_000); // the announcer's retry
  await settle();
  t.serf.named("announce").at(-1)!.answer("sc-1", accepted);
  await settle();
  deepStrictEqual(registered, [1]);
  equal(t.runner.registrationHealth().ok, true);
});

Deno.test("TaskRunner: a sidecar that holds us failed (or left) is joined at once, so we refute it", async () => {
  for (const status of ["failed", "left", "none"]) {
    const t = setup({ sidecars: ["sc-1"] });
    t.worker.becomeReady();
    await settle();
    const joins = () => t.calls.filter((c) => c.startsWith("join ")).length;
    equal(joins(), 1, "the first join");
    const refusal = encodePayload(AnnounceResponseSchema, {
      accepted: false,
      reason: `member t1 is ${status}, not alive`,
    });
    t.serf.named("announce")[0]!.answer("sc-1", refusal);
    await settle();
    await t.clock.advance(1);
    await settle();
    equal(joins(), 2, `${status}: ${t.calls.join("; ")}`);
    t.runner.requestStop("SIGTERM");
    t.worker.exit(exitedStatus(0));
    await t.clock.advance(20_000);
    await t.code;
  }
});
