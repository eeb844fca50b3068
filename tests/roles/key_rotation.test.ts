import { equal, ok } from "node:assert/strict";
import { freePort, waitFor } from "../_support/serf_agent.ts";
import { serfCli } from "../_support/serf_cli.ts";
import { type ShoalProcess, startShoal } from "../_support/shoal_process.ts";

const key = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));

Deno.test("serf keys -install/-use/-remove rotates a shoal cluster's key without a partition (README)", async () => {
  const [k1, k2] = [key(), key()];
  const rpc = `127.0.0.1:${freePort()}`;
  const port = freePort();
  const procs: ShoalProcess[] = [];
  try {
    const a = startShoal([
      "agent",
      "--node",
      "ka",
      "--bind",
      `127.0.0.31:${port}`,
      "--rpc-addr",
      rpc,
      "--encrypt",
      k1,
    ]);
    procs.push(a);
    await a.waitForLog("agent.running");
    const b = startShoal([
      "agent",
      "--node",
      "kb",
      "--bind",
      `127.0.0.32:${freePort()}`,
      "--rpc-addr",
      "",
      "--encrypt",
      k1,
      "--join",
      `127.0.0.31:${port}`,
    ]);
    procs.push(b);
    await b.waitForLog("agent.running");
    for (const args of [["-install", k2], ["-use", k2], ["-remove", k1]]) {
      const r = await serfCli("keys", rpc, args);
      equal(r.code, 0, `serf keys ${args[0]}: ${r.stdout}${r.stderr}`);
    }
    const list = await serfCli("keys", rpc, ["-list"]);
    ok(list.stdout.includes(`${k2}  [2/2]`) && !list.stdout.includes(k1), list.stdout);
    const c = startShoal([
      "agent",
      "--node",
      "kc",
      "--bind",
      `127.0.0.33:${freePort()}`,
      "--rpc-addr",
      "",
      "--encrypt",
      k2,
      "--join",
      `127.0.0.31:${port}`,
    ]);
    procs.push(c);
    await c.waitForLog("agent.running");
    await waitFor("three members alive", async () => {
      const r = await serfCli("members", rpc, ["-status", "alive"]);
      return r.stdout.trim().split("\n").length === 3;
    });
  } finally {
    for (const p of procs) await p.stop();
  }
});
