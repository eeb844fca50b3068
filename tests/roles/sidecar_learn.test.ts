/**
 * A restarted sidecar that does not know its tasks yet (SIGKILLed, restarted at once with the
 * same name and address, no `--join`): a real `serf agent` task still sees it alive and sends it
 * an announce. The sidecar must learn the announcer (join the query's Addr/Port) and register it,
 * and must not remove the server it adopted for that task while its view of the cluster is still
 * converging, even with the orphan grace long passed (issue 19 item 1).
 */

import { equal } from "node:assert/strict";
import {
  AnnounceRequestSchema,
  AnnounceResponseSchema,
  decodePayload,
  encodePayload,
} from "../../lib/proto.ts";
import { get, HaproxyProcess, rawCommand, waitFor } from "../_support/haproxy.ts";
import { freePort, type SerfAgent, startSerfAgent } from "../_support/serf_agent.ts";
import { serfQuery, startTaskUpstream } from "../_support/serf_query.ts";
import { type ShoalProcess, startShoal } from "../_support/shoal_process.ts";

const TASK_HOST = "127.0.7.51";

function startSidecar(hap: HaproxyProcess, port: number): ShoalProcess {
  return startShoal([
    "sidecar",
    "--node=sidecar-l",
    `--bind=127.0.0.1:${port}`,
    "--rpc-addr=",
    `--haproxy-socket=${hap.socketPath}`,
    "--haproxy-backend=be_app",
    "--profile=local",
    "--reconcile-interval=1s",
    "--orphan-grace=1s",
  ]);
}

Deno.test("restarted sidecar learns an unknown announcer and keeps its adopted server until converged", async () => {
  const hap = await HaproxyProcess.start();
  const upstream = startTaskUpstream("task-l", TASK_HOST);
  const port = freePort();
  let first: ShoalProcess | undefined = startSidecar(hap, port);
  let second: ShoalProcess | undefined;
  let agent: SerfAgent | undefined;
  const request = encodePayload(AnnounceRequestSchema, {
    port: upstream.port,
    backend: "",
    state: "ready",
  });
  const announce = async () =>
    decodePayload(
      AnnounceResponseSchema,
      await serfQuery(agent!, "announce", request, "3s").payload,
    );
  try {
    await first.waitForLog("sidecar.running");
    agent = await startSerfAgent("task-l", {
      tags: { role: "task", state: "ready" },
      extraArgs: [`-bind=${TASK_HOST}:${freePort()}`, `-join=127.0.0.1:${port}`],
    });
    equal((await announce()).accepted, true);
    await waitFor("traffic routed", async () => (await get(hap.url())).body === "task-l");

    first.kill("SIGKILL");
    await first.status;
    first = undefined;
    second = startSidecar(hap, port);
    await second.waitForLog("sidecar.running");
    // Twice the orphan grace: the adopted server is still there (nobody has been heard from).
    await new Promise((r) => setTimeout(r, 2_000));
    equal(second.logs().filter((l) => l.event === "sidecar.orphan.removed").length, 0);
    equal((await get(hap.url())).body, "task-l");

    // The agent still sees sidecar-l alive and announces to it.
    const answer = await announce();
    equal(answer.accepted, true, answer.reason);
    await second.waitForLog("sidecar.announce.learning", (l) => l.member === "task-l");
    await second.waitForLog("sidecar.converged");
    equal(
      (await rawCommand(hap.socketPath, "show servers state be_app")).includes("shoal-task-l"),
      true,
    );
    equal((await get(hap.url())).body, "task-l");
  } finally {
    await agent?.stop();
    first?.kill("SIGKILL");
    await first?.status;
    second?.kill("SIGTERM");
    await second?.status;
    await upstream.close();
    await hap.stop();
  }
});
