/**
 * `shoal sidecar` as a real process against a real HAProxy, with a real `serf agent` playing the
 * task: it joins with `role=task`, announces and departs with the real `serf query` CLI (the
 * protobuf payload passed as an argument, as a Go shoal task's serf node would send it), and
 * answers `solicit` from an event handler.
 */

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import {
  AnnounceRequestSchema,
  AnnounceResponseSchema,
  decodePayload,
  DepartRequestSchema,
  DepartResponseSchema,
  encodePayload,
} from "../../lib/proto.ts";
import { get, HaproxyProcess, rawCommand, waitFor } from "../_support/haproxy.ts";
import { freePort, type SerfAgent, startSerfAgent } from "../_support/serf_agent.ts";
import { type ShoalProcess, startShoal } from "../_support/shoal_process.ts";
import { printfScript, serfQuery, startTaskUpstream } from "../_support/serf_query.ts";

/** HAProxy's servers in `be_app`: name → `addr:port`. */
async function servers(hap: HaproxyProcess): Promise<Map<string, string>> {
  const text = await rawCommand(hap.socketPath, "show servers state be_app");
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    if (f.length > 18 && f[1] === "be_app") out.set(f[3]!, `${f[4]}:${f[18]}`);
  }
  return out;
}

/** Starts `shoal sidecar` for `be_app` on `hap` and waits until it manages HAProxy. */
async function startSidecar(
  hap: HaproxyProcess,
  gossipPort: number,
  extra: string[] = [],
): Promise<ShoalProcess> {
  const proc = startShoal([
    "sidecar",
    "--node=sidecar-1",
    `--bind=127.0.0.1:${gossipPort}`,
    "--rpc-addr=",
    `--haproxy-socket=${hap.socketPath}`,
    "--haproxy-backend=be_app",
    "--profile=local",
    "--reconcile-interval=1s",
    "--drain-timeout=10s",
    ...extra,
  ]);
  await proc.waitForLog("sidecar.running");
  return proc;
}

/** A serf agent named `name` on `host` with `role=task`, joined to the sidecar. */
function startTaskAgent(name: string, host: string, opts: { join: number; solicit?: Uint8Array }) {
  const bind = freePort();
  return startSerfAgent(name, {
    tags: { role: "task", state: "ready" },
    handlers: opts.solicit ? [`query:solicit=${printfScript(opts.solicit)}`] : [],
    extraArgs: [`-bind=${host}:${bind}`, `-join=127.0.0.1:${opts.join}`],
  }).then((agent) => ({ agent, bind }));
}

async function announce(agent: SerfAgent, port: number) {
  const request = encodePayload(AnnounceRequestSchema, { port, backend: "", state: "ready" });
  const run = serfQuery(agent, "announce", request, "2s");
  return decodePayload(AnnounceResponseSchema, await run.payload);
}

Deno.test("shoal sidecar registers a serf task's announce at its gossip address and drains it on depart", async () => {
  const hap = await HaproxyProcess.start();
  const upstream = startTaskUpstream("task-a", "127.0.7.11");
  const sidecarPort = freePort();
  const sidecar = await startSidecar(hap, sidecarPort);
  const { agent } = await startTaskAgent("task-a", "127.0.7.11", { join: sidecarPort });
  try {
    const answer = await announce(agent, upstream.port);
    deepStrictEqual([answer.accepted, answer.server, answer.backend], [
      true,
      "shoal-task-a",
      "be_app",
    ]);
    // The address is the agent's gossip address; the payload carried only the port.
    await waitFor("server in HAProxy", async () => (await servers(hap)).get("shoal-task-a"));
    equal((await servers(hap)).get("shoal-task-a"), `127.0.7.11:${upstream.port}`);
    await waitFor(
      "traffic routed to the task",
      async () => (await get(hap.url())).body === "task-a",
    );

    // An in-flight request keeps the drain open; the depart answer must wait for it.
    const held = fetch(hap.url("be_app", "/hold")).then((r) => r.text());
    await waitFor("request held by the upstream", () => upstream.held === 1);
    const depart = encodePayload(DepartRequestSchema, { backend: "be_app", timeoutSeconds: 8 });
    const run = serfQuery(agent, "depart", depart, "8s");
    let respondedMs: number | undefined;
    run.responded.then((ms) => (respondedMs = ms));
    await sidecar.waitForLog("haproxy.server.drain", (l) => l.server === "shoal-task-a");
    const passesBefore = sidecar.logs().filter((l) => l.event === "haproxy.reconcile.pass").length;
    await waitFor(
      "three reconcile passes while the request is held",
      () =>
        sidecar.logs().filter((l) => l.event === "haproxy.reconcile.pass").length >=
          passesBefore + 3,
    );
    equal(respondedMs, undefined, "depart answered while a session was still open");
    ok((await servers(hap)).has("shoal-task-a"));
    upstream.release();
    equal(await held, "task-a");
    await run.responded;
    ok(
      !(await servers(hap)).has("shoal-task-a"),
      "server still in HAProxy after the depart answer",
    );
    const response = decodePayload(DepartResponseSchema, await run.payload);
    deepStrictEqual([response.accepted, response.drained, response.remainingSessions ?? 0], [
      true,
      true,
      0,
    ]);

    // Back again; this time the session outlives the task's budget: the answer comes before the
    // query's deadline, not drained, with the open session counted.
    equal((await announce(agent, upstream.port)).accepted, true);
    await waitFor("traffic routed again", async () => (await get(hap.url())).body === "task-a");
    // settles with the body, an HTTP error status, or "cut" (connection closed) when the drain
    // deadline shuts the session down
    const stuck = fetch(hap.url("be_app", "/hold")).then(async (r) =>
      r.ok ? await r.text() : (await r.body?.cancel(), `HTTP ${r.status}`)
    ).catch(() => "cut");
    await waitFor("request held again", () => upstream.held === 1);
    const short = encodePayload(DepartRequestSchema, { backend: "be_app", timeoutSeconds: 2 });
    const late = decodePayload(
      DepartResponseSchema,
      await serfQuery(agent, "depart", short, "2s").payload,
    );
    deepStrictEqual([late.accepted, late.drained, late.remainingSessions], [true, false, 1]);
    ok(
      (late.drainMs ?? 0) >= 1000,
      `answered after ${late.drainMs} ms, not just before the deadline`,
    );
    // Past the deadline the sidecar shuts the session down and removes the server.
    const outcome = await stuck;
    ok(
      outcome === "cut" || /^HTTP 5\d\d$/.test(outcome),
      `the held session is cut at the drain deadline, got ${outcome}`,
    );
    await waitFor(
      "server removed after the deadline",
      async () => !(await servers(hap)).has("shoal-task-a"),
      { timeoutMs: 15_000 },
    );
    upstream.release();
  } finally {
    await agent.stop();
    sidecar.kill("SIGTERM");
    equal((await sidecar.status).code, 0);
    await upstream.close();
    await hap.stop();
  }
});

Deno.test("shoal sidecar removes a task's server once gossip marks its serf agent failed", async () => {
  const hap = await HaproxyProcess.start();
  const upstream = startTaskUpstream("task-b", "127.0.7.12");
  const sidecarPort = freePort();
  const sidecar = await startSidecar(hap, sidecarPort);
  const { agent } = await startTaskAgent("task-b", "127.0.7.12", { join: sidecarPort });
  try {
    equal((await announce(agent, upstream.port)).accepted, true);
    await waitFor("server in HAProxy", async () => (await servers(hap)).has("shoal-task-b"));
    await agent.stop(); // SIGKILL: no leave, gossip must notice
    await sidecar.waitForLog("sidecar.member.failed", (l) => l.member === "task-b", 20_000);
    await waitFor("server removed", async () => !(await servers(hap)).has("shoal-task-b"), {
      timeoutMs: 10_000,
    });
  } finally {
    await agent.stop();
    sidecar.kill("SIGTERM");
    equal((await sidecar.status).code, 0);
    await upstream.close();
    await hap.stop();
  }
});

Deno.test("restarted shoal sidecar adopts the healthy server and re-claims it by solicit, never removing it", async () => {
  const hap = await HaproxyProcess.start();
  const upstream = startTaskUpstream("task-c", "127.0.7.13");
  const sidecarPort = freePort();
  const first = await startSidecar(hap, sidecarPort);
  const request = encodePayload(AnnounceRequestSchema, {
    port: upstream.port,
    backend: "",
    state: "ready",
  });
  const { agent, bind } = await startTaskAgent("task-c", "127.0.7.13", {
    join: sidecarPort,
    solicit: request,
  });
  let second: ShoalProcess | undefined;
  try {
    equal((await announce(agent, upstream.port)).accepted, true);
    await waitFor(
      "traffic routed to the task",
      async () => (await get(hap.url())).body === "task-c",
    );
    first.kill("SIGTERM");
    equal((await first.status).code, 0);
    ok((await servers(hap)).has("shoal-task-c"), "a stopping sidecar must leave servers in place");

    // A managed server no live task claims: the new sidecar adopts it, then removes it.
    const ghost = await rawCommand(
      hap.socketPath,
      "add server be_app/shoal-ghost 127.0.7.99:80 weight 100",
    );
    ok(ghost.includes("New server registered"), ghost);
    equal(await rawCommand(hap.socketPath, "set server be_app/shoal-ghost state ready"), "\n");
    second = await startSidecar(hap, freePort(), [
      `--join=127.0.7.13:${bind}`,
      "--orphan-grace=2s",
    ]);
    await second.waitForLog("sidecar.server.adopted", (l) => l.server === "shoal-task-c");
    const claim = await second.waitForLog(
      "sidecar.announce",
      (l) => l.via === "solicit" && l.member === "task-c" && l.accepted === true,
    );
    // Past the orphan grace, the claimed server is still there and still serving.
    const graceEnd = Date.parse(String(claim.ts)) + 2500;
    await second.waitForLog("haproxy.reconcile.pass", (l) => Date.parse(String(l.ts)) > graceEnd);
    equal((await servers(hap)).get("shoal-task-c"), `127.0.7.13:${upstream.port}`);
    equal((await get(hap.url())).body, "task-c");
    await second.waitForLog("sidecar.orphan.removed", (l) => l.server === "be_app/shoal-ghost");
    await waitFor("orphan deleted", async () => !(await servers(hap)).has("shoal-ghost"), {
      timeoutMs: 10_000,
    });
    const removals = second.logs().filter((l) =>
      ["haproxy.server.delete", "haproxy.server.replace", "sidecar.orphan.removed"].includes(
        String(l.event),
      ) && l.server !== "shoal-ghost" && l.server !== "be_app/shoal-ghost"
    );
    deepStrictEqual(removals, []);
  } finally {
    await agent.stop();
    await first.stop();
    second?.kill("SIGTERM");
    if (second) equal((await second.status).code, 0);
    await upstream.close();
    await hap.stop();
  }
});

Deno.test("shoal sidecar keeps running when --join is unreachable, retries, and solicits once joined", async () => {
  const hap = await HaproxyProcess.start();
  const upstream = startTaskUpstream("task-e", "127.0.7.14");
  const bind = freePort(); // nothing listens here yet
  const sidecar = await startSidecar(hap, freePort(), [`--join=127.0.7.14:${bind}`]);
  let agent: SerfAgent | undefined;
  try {
    await sidecar.waitForLog("sidecar.join.retrying");
    const request = encodePayload(AnnounceRequestSchema, {
      port: upstream.port,
      backend: "",
      state: "ready",
    });
    agent = await startSerfAgent("task-e", {
      tags: { role: "task", state: "ready" },
      handlers: [`query:solicit=${printfScript(request)}`],
      extraArgs: [`-bind=127.0.7.14:${bind}`],
    });
    await sidecar.waitForLog("gossip.joined");
    await sidecar.waitForLog(
      "sidecar.announce",
      (l) => l.via === "solicit" && l.member === "task-e" && l.accepted === true,
    );
    await waitFor(
      "traffic routed to the task",
      async () => (await get(hap.url())).body === "task-e",
    );
  } finally {
    await agent?.stop();
    sidecar.kill("SIGTERM");
    equal((await sidecar.status).code, 0);
    await upstream.close();
    await hap.stop();
  }
});
