/**
 * Two `shoal sidecar` processes (an HA pair, each with its own HAProxy) and one real `serf agent`
 * task that answers `solicit` from an event handler: each sidecar registers the task on its own,
 * under the same server name, and both drain it when the agent leaves gracefully.
 */

import { equal } from "node:assert/strict";
import { AnnounceRequestSchema, encodePayload } from "../../lib/proto.ts";
import { get, HaproxyProcess, rawCommand, startUpstream, waitFor } from "../_support/haproxy.ts";
import { freePort, startSerfAgent } from "../_support/serf_agent.ts";
import { type ShoalProcess, startShoal } from "../_support/shoal_process.ts";

/** `printf` with octal escapes of every byte: a serf query handler that answers with `bytes`. */
function printfScript(bytes: Uint8Array): string {
  return `printf '${[...bytes].map((b) => "\\" + b.toString(8).padStart(3, "0")).join("")}'`;
}

async function serverAddr(hap: HaproxyProcess, name: string): Promise<string | undefined> {
  const text = await rawCommand(hap.socketPath, "show servers state be_app");
  const f = text.split("\n").map((l) => l.split(" ")).find((f) => f[3] === name);
  return f ? `${f[4]}:${f[18]}` : undefined;
}

Deno.test("shoal sidecar pair: each registers the task under the same name; a graceful leave drains both", async () => {
  const [hapA, hapB] = [await HaproxyProcess.start(), await HaproxyProcess.start()];
  const upstream = startUpstream("task-f", "127.0.7.31");
  const bind = freePort();
  const answer = encodePayload(AnnounceRequestSchema, {
    port: upstream.port,
    backend: "",
    state: "ready",
  });
  const agent = await startSerfAgent("task-f", {
    tags: { role: "task", state: "ready" },
    handlers: [`query:solicit=${printfScript(answer)}`],
    extraArgs: [`-bind=127.0.7.31:${bind}`],
  });
  const start = (name: string, hap: HaproxyProcess) =>
    startShoal([
      "sidecar",
      `--node=${name}`,
      `--bind=127.0.0.1:${freePort()}`,
      "--rpc-addr=",
      `--join=127.0.7.31:${bind}`,
      `--haproxy-socket=${hap.socketPath}`,
      "--haproxy-backend=be_app",
      "--profile=local",
      "--reconcile-interval=1s",
    ]);
  const sidecars: ShoalProcess[] = [start("sidecar-a", hapA), start("sidecar-b", hapB)];
  try {
    for (const [i, hap] of [hapA, hapB].entries()) {
      await sidecars[i]!.waitForLog(
        "sidecar.announce",
        (l) => l.member === "task-f" && l.accepted === true && l.server === "shoal-task-f",
      );
      await waitFor("server registered", async () => await serverAddr(hap, "shoal-task-f"));
      equal(await serverAddr(hap, "shoal-task-f"), `127.0.7.31:${upstream.port}`);
      await waitFor("traffic routed", async () => (await get(hap.url())).body === "task-f");
    }
    Deno.kill(agent.pid, "SIGINT"); // serf agent leaves gracefully on SIGINT
    for (const [i, hap] of [hapA, hapB].entries()) {
      await sidecars[i]!.waitForLog("sidecar.member.left", (l) => l.member === "task-f");
      await sidecars[i]!.waitForLog("haproxy.server.drain", (l) => l.server === "shoal-task-f");
      await waitFor("server drained out", async () => !(await serverAddr(hap, "shoal-task-f")));
    }
    for (const s of sidecars) s.kill("SIGTERM");
    for (const s of sidecars) equal((await s.status).code, 0);
  } finally {
    for (const s of sidecars) await s.stop();
    await agent.stop();
    await upstream.close();
    await hapA.stop();
    await hapB.stop();
  }
});
