import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { formatMembersTable } from "../../lib/roles/members.ts";
import { ipText } from "../../lib/serf/rpc/client.ts";
import { freePort, startSerfAgent, waitFor } from "../_support/serf_agent.ts";
import { startShoal } from "../_support/shoal_process.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

async function shoalMembers(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "members", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const td = new TextDecoder();
  return { code: out.code, stdout: td.decode(out.stdout), stderr: td.decode(out.stderr) };
}

Deno.test("formatMembersTable() aligns columns like serf members", () => {
  const table = formatMembersTable([
    {
      name: "a",
      addr: "10.0.0.1",
      port: 7946,
      status: "alive",
      tags: new Map([["role", "web"]]),
      protocol: { min: 2, max: 5, cur: 5 },
    },
    {
      name: "long-name",
      addr: "::1",
      port: 1,
      status: "failed",
      tags: new Map(),
      protocol: { min: 2, max: 5, cur: 5 },
    },
  ]);
  equal(table, "a          10.0.0.1:7946  alive   role=web\nlong-name  [::1]:1        failed\n");
  equal(ipText(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 10, 0, 0, 1)), "10.0.0.1");
});

Deno.test("shoal members lists a cluster through a shoal node's RPC and a real serf agent's", async () => {
  const serf = await startSerfAgent("real-m", { tags: { role: "web" } });
  const rpc = `127.0.0.1:${freePort()}`;
  const shoal = startShoal([
    "agent",
    "--node",
    "shoal-m",
    "--bind",
    `127.0.0.8:${freePort()}`,
    "--rpc-addr",
    rpc,
    "--join",
    `127.0.0.1:${serf.bindPort}`,
    "--tag",
    "role=task",
  ]);
  try {
    await shoal.waitForLog("agent.running");
    await waitFor("both see two members", async () => {
      const r = await shoalMembers(["--rpc-addr", rpc]);
      return r.code === 0 && r.stdout.trim().split("\n").length === 2;
    });
    for (const addr of [rpc, serf.rpcAddr]) {
      const table = await shoalMembers(["--rpc-addr", addr, "--status", "alive"]);
      equal(table.code, 0, table.stderr);
      ok(/^shoal-m\s+127\.0\.0\.8:\d+\s+alive\s+role=task$/m.test(table.stdout), table.stdout);
      ok(/^real-m\s+127\.0\.0\.1:\d+\s+alive\s+role=web$/m.test(table.stdout), table.stdout);
      const json = await shoalMembers([
        "--rpc-addr",
        addr,
        "--tag",
        "role=web",
        "--format",
        "json",
      ]);
      equal(json.code, 0, json.stderr);
      deepStrictEqual(JSON.parse(json.stdout).members.map((m: { name: string }) => m.name), [
        "real-m",
      ]);
    }
    const refused = await shoalMembers(["--rpc-addr", "127.0.0.1:1"]);
    equal(refused.code, 1);
    ok(refused.stderr.startsWith("shoal members: Cannot connect"), refused.stderr);
  } finally {
    await shoal.stop();
    await serf.stop();
  }
});
