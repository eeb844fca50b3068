/**
 * `shoal task` as a real process with a real worker (python3 http_worker.py on fd 3), against a
 * small sidecar embedded in the test process (GossipRuntime + Serf answering `announce`/`depart`
 * with real protobuf) and, where noted, a real `serf agent` in between.
 */
import { systemClock } from "../../lib/clock.ts";
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { GossipConfig } from "../../lib/config.ts";
import { nullLogger } from "../../lib/log/logger.ts";
import {
  type AnnounceRequest,
  AnnounceRequestSchema,
  AnnounceResponseSchema,
  decodePayload,
  type DepartRequest,
  DepartRequestSchema,
  DepartResponseSchema,
  encodePayload,
  QUERY,
} from "../../lib/proto.ts";
import { GossipRuntime } from "../../lib/roles/gossip_runtime.ts";
import { MemberStatus, type QueryEvent, QueryResponseError } from "../../lib/serf/mod.ts";
import { freePort, startSerfAgent, waitFor } from "../_support/serf_agent.ts";
import { type ShoalProcess, startShoal } from "../_support/shoal_process.ts";
import { denoGossipHost } from "../../lib/roles/gossip_runtime_host.ts";

const WORKER = new URL("../_support/workers/http_worker.py", import.meta.url).pathname;

/**
 * One `GET /` over a fresh connection, given up after 2 s (a worker that never accepts leaves the
 * connection in the backlog); resolves to the status line, or the error.
 */
async function httpGet(host: string, port: number, path = "/"): Promise<string> {
  try {
    const conn = await Deno.connect({ hostname: host, port });
    const timer = setTimeout(() => conn.close(), 2_000);
    try {
      await conn.write(new TextEncoder().encode(`GET ${path} HTTP/1.0\r\nHost: t\r\n\r\n`));
      let text = "";
      const buf = new Uint8Array(4096);
      for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
        text += new TextDecoder().decode(buf.subarray(0, n));
        if (text.length > 65_536) break;
      }
      return text.split("\r\n")[0] ?? "";
    } finally {
      clearTimeout(timer);
      try {
        conn.close();
      } catch {
        // closed by the timer
      }
    }
  } catch (err) {
    return `error: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** Answers unless the query's deadline passed meanwhile (the task then retries or moves on). */
function respondLate(e: QueryEvent, payload: Uint8Array): void {
  try {
    e.respond(payload);
  } catch (err) {
    if (!(err instanceof QueryResponseError)) throw err;
  }
}

interface SeenAnnounce {
  readonly from: string;
  readonly req: AnnounceRequest;
  /** What `GET /` on the announced port answered when the announce arrived. */
  readonly served: string;
}

interface SeenDepart {
  readonly from: string;
  readonly req: DepartRequest;
  /** What `GET /` answered while the depart was being handled (before the answer). */
  readonly served: string;
}

/** A minimal sidecar: `role=sidecar`, records announces and departs and accepts them. */
class TestSidecar {
  readonly announces: SeenAnnounce[] = [];
  readonly departs: SeenDepart[] = [];
  readonly #runtime: GossipRuntime;
  readonly #unsubscribe: () => void;
  readonly #probe: boolean;

  private constructor(runtime: GossipRuntime, probe: boolean) {
    this.#runtime = runtime;
    this.#probe = probe;
    this.#unsubscribe = runtime.serf.subscribe((e) => {
      if (e.type === "query") this.#onQuery(e);
    });
  }

  /** `probe`: GET the announced port before answering (workers that speak HTTP). */
  static async start(
    node: string,
    host: string,
    port: number,
    probe = true,
  ): Promise<TestSidecar> {
    const cfg: GossipConfig = {
      node,
      bind: { host, port },
      advertise: null,
      join: [],
      tags: new Map([["role", "sidecar"]]),
      encryptKey: null,
      rpcAddr: null,
      rpcAuth: null,
      snapshotDir: null,
      profile: "local",
      reconnectTimeoutMs: 600_000,
      tombstoneTimeoutMs: 600_000,
      metricsAddr: null,
    };
    return new TestSidecar(
      await GossipRuntime.start(cfg, {
        ...denoGossipHost,
        logger: nullLogger,
        clock: systemClock,
        prng: Math.random,
      }),
      probe,
    );
  }

  get runtime(): GossipRuntime {
    return this.#runtime;
  }

  /** The member's gossip host (the sidecar never trusts a payload's address). */
  hostOf(node: string): string {
    const m = this.#runtime.serf.members().find((m) => m.name === node);
    if (!m) throw new Error(`${node} is not a member`);
    return m.host;
  }

  statusOf(node: string): MemberStatus | undefined {
    return this.#runtime.serf.members().find((m) => m.name === node)?.status;
  }

  /** Sends `solicit` to the tasks and decodes the answers. */
  async solicit(): Promise<Map<string, AnnounceRequest>> {
    const q = this.#runtime.serf.query(QUERY.solicit, new Uint8Array(0), {
      filterTags: new Map([["role", "^task$"]]),
    });
    const r = await q.done();
    return new Map(
      r.responses.map((x) => [x.from, decodePayload(AnnounceRequestSchema, x.payload)]),
    );
  }

  #get(node: string, port: number): Promise<string> {
    return this.#probe ? httpGet(this.hostOf(node), port) : Promise.resolve("not probed");
  }

  #onQuery(e: QueryEvent): void {
    if (e.name === QUERY.announce) {
      const req = decodePayload(AnnounceRequestSchema, e.payload);
      this.#get(e.sourceNode, req.port).then((served) => {
        this.announces.push({ from: e.sourceNode, req, served });
        respondLate(
          e,
          encodePayload(AnnounceResponseSchema, {
            accepted: true,
            reason: "",
            server: `shoal-${e.sourceNode}`,
            backend: req.backend || "app",
          }),
        );
      });
    } else if (e.name === QUERY.depart) {
      const req = decodePayload(DepartRequestSchema, e.payload);
      this.#get(e.sourceNode, req.port).then((served) => {
        this.departs.push({ from: e.sourceNode, req, served });
        respondLate(
          e,
          encodePayload(DepartResponseSchema, {
            accepted: true,
            reason: "",
            drained: true,
            remainingSessions: 0,
          }),
        );
      });
    }
  }

  async close(): Promise<void> {
    this.#unsubscribe();
    await this.#runtime.close();
  }
}

function taskArgs(o: {
  node: string;
  host: string;
  join: string;
  extra?: string[];
  worker: string[];
}): string[] {
  return [
    "task",
    "--node",
    o.node,
    "--bind",
    `${o.host}:${freePort()}`,
    "--join",
    o.join,
    "--rpc-addr",
    "",
    "--profile",
    "local",
    "--listen-addr",
    `${o.host}:0`,
    "--drain-timeout",
    "4s",
    "--kill-timeout",
    "2s",
    ...(o.extra ?? []),
    "--",
    ...o.worker,
  ];
}

/** The task's exit code, waited for at most `deadlineMs` (then the test fails with its output). */
async function exitCode(p: ShoalProcess, deadlineMs = 20_000): Promise<number> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`shoal task still running after ${deadlineMs} ms:\n${p.output()}`)),
      deadlineMs,
    );
  });
  try {
    return (await Promise.race([p.status, late])).code;
  } finally {
    clearTimeout(timer);
  }
}

/** Index of the first log line named `event` (-1 when absent). */
function logIndex(p: ShoalProcess, event: string): number {
  return p.logs().findIndex((l) => l.event === event);
}

Deno.test("shoal task: announces the bound port once ready, answers solicit, departs before SIGTERM reaches the worker, exits with its status", async () => {
  const sidecarPort = freePort();
  const sidecar = await TestSidecar.start("sc-1", "127.0.1.1", sidecarPort);
  const task = startShoal(taskArgs({
    node: "task-a",
    host: "127.0.1.2",
    join: `127.0.1.1:${sidecarPort}`,
    worker: ["python3", WORKER, "--term-exit", "5"],
    extra: ["--backend", "web", "--weight", "7"],
  }));
  try {
    await waitFor("announce", () => sidecar.announces.length > 0, 15_000);
    const a = sidecar.announces[0]!;
    equal(a.from, "task-a");
    deepStrictEqual([a.req.state, a.req.backend, a.req.weight], ["ready", "web", 7]);
    const ready = await task.waitForLog("task.ready");
    equal(a.req.port, ready.port, "the announced port is the one the worker serves on");
    equal(a.served, "HTTP/1.0 200 OK", "the worker answers on the announced port");
    await task.waitForLog("task.announce.accepted", (l) => l.sidecar === "sc-1");
    await task.waitForLog("task.joined");
    const member = sidecar.runtime.serf.members().find((m) => m.name === "task-a");
    deepStrictEqual([member?.tags.get("role"), member?.tags.get("state")], ["task", "ready"]);
    const solicited = (await sidecar.solicit()).get("task-a");
    deepStrictEqual([solicited?.port, solicited?.state], [a.req.port, "ready"]);

    task.kill("SIGTERM");
    equal(await exitCode(task), 5, task.output());
    equal(sidecar.departs.length, 1);
    const d = sidecar.departs[0]!;
    deepStrictEqual(
      [d.from, d.req.port, d.req.backend, d.req.timeoutSeconds, d.req.addr],
      ["task-a", a.req.port, "web", 4, "127.0.1.2"],
    );
    equal(d.served, "HTTP/1.0 200 OK", "the worker still serves while the sidecars drain it");
    const order = ["task.depart", "task.depart.answer", "task.depart.done", "supervisor.stopping"]
      .map((e) => logIndex(task, e));
    ok(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1]!)), `order ${order}`);
    ok(logIndex(task, "gossip.left") > logIndex(task, "supervisor.stopping"));
    equal((await task.waitForLog("task.exit")).code, 5);
    await waitFor("task-a left", () => sidecar.statusOf("task-a") === MemberStatus.Left, 5_000);
  } finally {
    await task.stop();
    await sidecar.close();
  }
});

Deno.test("shoal task: health failures re-announce unhealthy, recovery re-announces ready", async () => {
  const sidecarPort = freePort();
  const sidecar = await TestSidecar.start("sc-2", "127.0.1.3", sidecarPort);
  const task = startShoal(taskArgs({
    node: "task-h",
    host: "127.0.1.4",
    join: `127.0.1.3:${sidecarPort}`,
    worker: ["python3", WORKER],
    extra: ["--health", "http:/health", "--health-interval", "100ms"],
    // rise 2 / fall 3 are the defaults
  }));
  const states = () => sidecar.announces.map((x) => x.req.state);
  try {
    await waitFor("ready announce", () => states().includes("ready"), 15_000);
    task.kill("SIGUSR1"); // forwarded to the worker: /health turns 503
    await waitFor("unhealthy announce", () => states().includes("unhealthy"), 10_000);
    // the announce may arrive (sent straight to the sidecar) before the tag change is gossiped
    await waitFor(
      "state tag unhealthy",
      () =>
        sidecar.runtime.serf.members().find((m) => m.name === "task-h")?.tags.get("state") ===
          "unhealthy",
      5_000,
    );
    equal((await sidecar.solicit()).get("task-h")?.state, "unhealthy");
    task.kill("SIGUSR1"); // healthy again
    await waitFor(
      "ready again",
      () => states().lastIndexOf("ready") > states().indexOf("unhealthy"),
    );
    task.kill("SIGTERM");
    equal(await exitCode(task), 0);
  } finally {
    await task.stop();
    await sidecar.close();
  }
});

Deno.test("shoal task: a worker that exits 7 on its own makes the task depart, leave and exit 7", async () => {
  const sidecarPort = freePort();
  const sidecar = await TestSidecar.start("sc-3", "127.0.1.5", sidecarPort, false);
  const trigger = await Deno.makeTempFile();
  await Deno.remove(trigger);
  const task = startShoal(taskArgs({
    node: "task-x",
    host: "127.0.1.6",
    join: `127.0.1.5:${sidecarPort}`,
    extra: ["--ready", "delay:100ms"],
    worker: [
      "sh",
      "-c",
      'echo "$SHOAL_NODE" > "$0.node"; while [ ! -e "$0" ]; do sleep 0.05; done; exit 7',
      trigger,
    ],
  }));
  try {
    await waitFor("announce", () => sidecar.announces.length > 0, 15_000);
    equal((await Deno.readTextFile(`${trigger}.node`)).trim(), "task-x", "SHOAL_NODE");
    await Deno.writeTextFile(trigger, "exit now");
    equal(await exitCode(task), 7, task.output());
    equal(sidecar.departs.length, 1);
    equal(sidecar.departs[0]!.req.timeoutSeconds, 0, "nothing left to drain: remove at once");
    equal(logIndex(task, "supervisor.stopping"), -1, "the worker was not signalled");
    equal((await task.waitForLog("task.exit")).code, 7);
    await waitFor("task-x left", () => sidecar.statusOf("task-x") === MemberStatus.Left, 5_000);
  } finally {
    await task.stop();
    await Deno.remove(trigger).catch(() => {});
    await Deno.remove(`${trigger}.node`).catch(() => {});
    await sidecar.close();
  }
});

Deno.test("shoal task: a worker killed by a signal makes the task depart and exit 128+N", async () => {
  const sidecarPort = freePort();
  const sidecar = await TestSidecar.start("sc-7", "127.0.1.13", sidecarPort);
  const task = startShoal(taskArgs({
    node: "task-crash",
    host: "127.0.1.14",
    join: `127.0.1.13:${sidecarPort}`,
    worker: ["python3", WORKER],
  }));
  try {
    await waitFor("announce", () => sidecar.announces.length > 0, 15_000);
    await httpGet("127.0.1.14", sidecar.announces[0]!.req.port, "/crash"); // abort(): SIGABRT
    equal(await exitCode(task), 128 + 6, task.output());
    equal(sidecar.departs.length, 1);
  } finally {
    await task.stop();
    await sidecar.close();
  }
});

Deno.test("shoal task: a worker that exits before it is ready: the task exits with its status, never announced", async () => {
  const sidecarPort = freePort();
  const sidecar = await TestSidecar.start("sc-8", "127.0.1.15", sidecarPort);
  const task = startShoal(taskArgs({
    node: "task-early-exit",
    host: "127.0.1.16",
    join: `127.0.1.15:${sidecarPort}`,
    worker: ["python3", WORKER, "--exit", "3"],
  }));
  try {
    equal(await exitCode(task), 3, task.output());
    await task.waitForLog("task.start_failed");
    deepStrictEqual([sidecar.announces.length, sidecar.statusOf("task-early-exit")], [
      0,
      undefined,
    ]);
  } finally {
    await task.stop();
    await sidecar.close();
  }
});

Deno.test("shoal task: a worker that never gets ready exits non-zero without joining or announcing", async () => {
  const sidecarPort = freePort();
  const sidecar = await TestSidecar.start("sc-4", "127.0.1.7", sidecarPort);
  const task = startShoal(taskArgs({
    node: "task-n",
    host: "127.0.1.8",
    join: `127.0.1.7:${sidecarPort}`,
    extra: ["--ready-timeout", "700ms"],
    worker: ["python3", WORKER, "--never-accept"],
  }));
  try {
    ok((await exitCode(task)) !== 0, task.output());
    const failed = await task.waitForLog("task.start_failed");
    ok(String(failed.error).includes("did not become ready"), String(failed.error));
    deepStrictEqual([sidecar.announces.length, sidecar.departs.length], [0, 0]);
    equal(sidecar.statusOf("task-n"), undefined, "never joined");
    equal(logIndex(task, "task.join.attempt"), -1);
  } finally {
    await task.stop();
    await sidecar.close();
  }
});

Deno.test("shoal task: started before its sidecar, it retries the join and announces once the sidecar appears", async () => {
  const sidecarPort = freePort();
  const task = startShoal(taskArgs({
    node: "task-early",
    host: "127.0.1.10",
    join: `127.0.1.9:${sidecarPort}`,
    worker: ["python3", WORKER],
  }));
  let sidecar: TestSidecar | undefined;
  try {
    await task.waitForLog("task.join.retry", (l) => l.attempt === 2, 15_000);
    sidecar = await TestSidecar.start("sc-5", "127.0.1.9", sidecarPort);
    const s = sidecar;
    await waitFor("announce", () => s.announces.length > 0, 15_000);
    equal(s.announces[0]!.req.state, "ready");
    equal(s.announces[0]!.served, "HTTP/1.0 200 OK");
    await task.waitForLog("task.joined");
    task.kill("SIGTERM");
    equal(await exitCode(task), 0);
  } finally {
    await task.stop();
    await sidecar?.close();
  }
});

Deno.test("shoal task: joined through a real serf agent, it keeps announcing until a sidecar joins", async () => {
  const agent = await startSerfAgent("relay", { tags: { role: "none" } });
  const task = startShoal(taskArgs({
    node: "task-via-serf",
    host: "127.0.1.12",
    join: `127.0.0.1:${agent.bindPort}`,
    worker: ["python3", WORKER],
  }));
  let sidecar: TestSidecar | undefined;
  try {
    await task.waitForLog("task.joined", undefined, 15_000);
    await task.waitForLog("task.announce.retry", (l) => l.answered === 0);
    sidecar = await TestSidecar.start("sc-6", "127.0.1.11", freePort());
    const s = sidecar;
    equal(await s.runtime.join([`127.0.0.1:${agent.bindPort}`]), 1);
    await waitFor("announce via serf", () => s.announces.length > 0, 15_000);
    equal(s.announces[0]!.from, "task-via-serf");
    task.kill("SIGTERM");
    equal(await exitCode(task), 0);
    equal(s.departs.length, 1);
  } finally {
    await task.stop();
    await sidecar?.close();
    await agent.stop();
  }
});
