/**
 * `shoal agent` against real serf 0.9.4 agents on loopback: joins both ways, tags, graceful leave,
 * failure detection both ways, encryption, snapshots, queries and events through the real CLI.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { freePort, type SerfAgent, startSerfAgent, waitFor } from "../_support/serf_agent.ts";
import { serfCli } from "../_support/serf_cli.ts";
import { type ShoalProcess, startShoal } from "../_support/shoal_process.ts";

interface Row {
  name: string;
  addr: string;
  status: string;
  tags: Record<string, string>;
}

async function members(rpcAddr: string): Promise<Row[]> {
  const r = await serfCli("members", rpcAddr, ["-format=json"], 5000);
  if (r.code !== 0) return [];
  return (JSON.parse(r.stdout).members as Row[]);
}

async function statusOf(rpcAddr: string, name: string): Promise<string | undefined> {
  return (await members(rpcAddr)).find((m) => m.name === name)?.status;
}

function agentArgs(name: string, host: string, port: number, extra: string[] = []): string[] {
  return ["agent", "--node", name, "--bind", `${host}:${port}`, "--rpc-addr", "", ...extra];
}

async function cleanup(procs: (ShoalProcess | SerfAgent | undefined)[]): Promise<void> {
  for (const p of procs) await p?.stop();
}

Deno.test("shoal agent joins a real serf agent with its tags, and leaves as left on SIGTERM", async () => {
  const serf = await startSerfAgent("real-a", { tags: { role: "web" } });
  let shoal: ShoalProcess | undefined;
  try {
    const port = freePort();
    shoal = startShoal(
      agentArgs("shoal-a", "127.0.0.1", port, [
        "--join",
        `127.0.0.1:${serf.bindPort}`,
        "--tag",
        "role=task,zone=b",
      ]),
    );
    await shoal.waitForLog("agent.running");
    await waitFor(
      "serf lists shoal-a alive",
      async () => (await statusOf(serf.rpcAddr, "shoal-a")) === "alive",
    );
    const row = (await members(serf.rpcAddr)).find((m) => m.name === "shoal-a")!;
    deepStrictEqual(row.tags, { role: "task", zone: "b" });
    equal(row.addr, `127.0.0.1:${port}`);
    shoal.kill("SIGTERM");
    await waitFor(
      "serf lists shoal-a left",
      async () => (await statusOf(serf.rpcAddr, "shoal-a")) === "left",
    );
    equal((await shoal.status).code, 0);
  } finally {
    await cleanup([shoal, serf]);
  }
});

Deno.test("a real serf agent joins a shoal node; shoal marks the SIGKILLed agent failed", async () => {
  const rpcPort = freePort();
  const port = freePort();
  let serf: SerfAgent | undefined;
  const shoal = startShoal([
    "agent",
    "--node",
    "shoal-b",
    "--bind",
    `127.0.0.2:${port}`,
    "--rpc-addr",
    `127.0.0.1:${rpcPort}`,
    "--tag",
    "role=sidecar",
  ]);
  const shoalRpc = `127.0.0.1:${rpcPort}`;
  try {
    await shoal.waitForLog("agent.running");
    serf = await startSerfAgent("real-b");
    const join = await serfCli("join", serf.rpcAddr, [`127.0.0.2:${port}`]);
    equal(join.code, 0, join.stdout + join.stderr);
    await waitFor(
      "shoal sees real-b alive",
      async () => (await statusOf(shoalRpc, "real-b")) === "alive",
    );
    deepStrictEqual((await members(serf.rpcAddr)).find((m) => m.name === "shoal-b")?.tags, {
      role: "sidecar",
    });
    const killedAt = performance.now();
    Deno.kill(serf.pid, "SIGKILL");
    await waitFor(
      "shoal marks real-b failed",
      async () => (await statusOf(shoalRpc, "real-b")) === "failed",
      20_000,
    );
    const detectedMs = performance.now() - killedAt;
    // memberlist LAN defaults with 2 nodes: next probe <= 1 s, probe timeout, suspicion 4 s (spec §10: 6-7 s for Go)
    ok(detectedMs < 12_000, `detected after ${detectedMs} ms`);
  } finally {
    await cleanup([shoal, serf]);
  }
});

Deno.test("a real serf agent marks a SIGKILLed shoal agent failed within memberlist's LAN bound", async () => {
  const serf = await startSerfAgent("real-c");
  let shoal: ShoalProcess | undefined;
  try {
    shoal = startShoal(
      agentArgs("shoal-c", "127.0.0.3", freePort(), ["--join", `127.0.0.1:${serf.bindPort}`]),
    );
    await shoal.waitForLog("agent.running");
    await waitFor(
      "serf lists shoal-c alive",
      async () => (await statusOf(serf.rpcAddr, "shoal-c")) === "alive",
    );
    const killedAt = performance.now();
    shoal.kill("SIGKILL");
    await waitFor(
      "serf marks shoal-c failed",
      async () => (await statusOf(serf.rpcAddr, "shoal-c")) === "failed",
      20_000,
    );
    const detectedMs = performance.now() - killedAt;
    ok(detectedMs < 12_000, `detected after ${detectedMs} ms`);
  } finally {
    await cleanup([shoal, serf]);
  }
});

Deno.test("--encrypt interoperates with serf -encrypt; a wrong key or plaintext peer is refused", async () => {
  const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
  const other = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
  const serf = await startSerfAgent("real-d", { extraArgs: [`-encrypt=${key}`] });
  const procs: ShoalProcess[] = [];
  try {
    const good = startShoal(
      agentArgs("shoal-good", "127.0.0.4", freePort(), [
        "--join",
        `127.0.0.1:${serf.bindPort}`,
        "--encrypt",
        key,
      ]),
    );
    procs.push(good);
    await good.waitForLog("agent.running");
    await waitFor(
      "encrypted member alive",
      async () => (await statusOf(serf.rpcAddr, "shoal-good")) === "alive",
    );
    for (
      const [name, extra] of [["shoal-wrong", ["--encrypt", other]], ["shoal-plain", []]] as const
    ) {
      const bad = startShoal(
        agentArgs(name, "127.0.0.4", freePort(), [
          "--join",
          `127.0.0.1:${serf.bindPort}`,
          ...extra,
        ]),
      );
      procs.push(bad);
      await bad.waitForLog("agent.join_failed");
      equal((await bad.status).code, 1, `${name} exits 1`);
      equal(await statusOf(serf.rpcAddr, name), undefined, `${name} never became a member`);
    }
  } finally {
    await cleanup([...procs, serf]);
  }
});

Deno.test("a restarted shoal agent rejoins from its snapshot without --join", async () => {
  const serf = await startSerfAgent("real-e");
  const dir = await Deno.makeTempDir({ prefix: "shoal-snap-" });
  const port = freePort();
  const procs: ShoalProcess[] = [];
  try {
    const first = startShoal(
      agentArgs("shoal-e", "127.0.0.5", port, [
        "--join",
        `127.0.0.1:${serf.bindPort}`,
        "--snapshot-dir",
        dir,
      ]),
    );
    procs.push(first);
    await first.waitForLog("agent.running");
    await waitFor(
      "shoal-e alive",
      async () => (await statusOf(serf.rpcAddr, "shoal-e")) === "alive",
    );
    // the snapshot is flushed every 500 ms: wait until it names the serf agent
    await waitFor("snapshot written", async () => {
      try {
        return (await Deno.readTextFile(`${dir}/serf.snapshot`)).includes("real-e");
      } catch {
        return false;
      }
    });
    first.kill("SIGKILL");
    await first.status;
    const second = startShoal(agentArgs("shoal-e", "127.0.0.5", port, ["--snapshot-dir", dir]));
    procs.push(second);
    await second.waitForLog("gossip.rejoined");
    await waitFor(
      "serf sees shoal-e alive again",
      async () => (await statusOf(serf.rpcAddr, "shoal-e")) === "alive",
    );
  } finally {
    await cleanup([...procs, serf]);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serf CLI drives a shoal node: members, tag-filtered query answered by real handlers, events, force-leave", async () => {
  const rpcPort = freePort();
  const shoalRpc = `127.0.0.1:${rpcPort}`;
  const port = freePort();
  const shoal = startShoal([
    "agent",
    "--node",
    "shoal-f",
    "--bind",
    `127.0.0.6:${port}`,
    "--rpc-addr",
    shoalRpc,
  ]);
  let web: SerfAgent | undefined;
  let db: SerfAgent | undefined;
  try {
    await shoal.waitForLog("agent.running");
    web = await startSerfAgent("real-web", {
      tags: { role: "web" },
      handlers: ["query:whoami=echo web-says-$(cat)"],
      extraArgs: [`-join=127.0.0.6:${port}`],
    });
    db = await startSerfAgent("real-db", {
      tags: { role: "db" },
      handlers: ["query:whoami=echo db-says-$(cat)"],
      extraArgs: [`-join=127.0.0.6:${port}`],
    });
    await waitFor(
      "shoal sees 3 alive",
      async () => (await members(shoalRpc)).filter((m) => m.status === "alive").length === 3,
    );
    const q = await serfCli("query", shoalRpc, ["-tag", "role=web", "whoami", "hi"]);
    equal(q.code, 0, q.stderr);
    ok(q.stdout.includes("Response from 'real-web': web-says-hi"), q.stdout);
    ok(!q.stdout.includes("real-db"), "the tag filter kept real-db out");

    const ev = await serfCli("event", shoalRpc, ["deploy", "v2"]);
    equal(ev.code, 0, ev.stderr);
    await waitFor("real-web got the user event", () => web!.output().includes("deploy"));
    const back = await serfCli("event", web.rpcAddr, ["rollback", "v1"]);
    equal(back.code, 0);
    await shoal.waitForLog("serf.user_event.received", (l) => l.name === "rollback");

    Deno.kill(db.pid, "SIGKILL");
    await waitFor(
      "real-db failed",
      async () => (await statusOf(shoalRpc, "real-db")) === "failed",
      20_000,
    );
    const fl = await serfCli("force-leave", shoalRpc, ["real-db"]);
    equal(fl.code, 0, fl.stderr);
    await waitFor(
      "real-db left on the real agent too",
      async () => (await statusOf(web!.rpcAddr, "real-db")) === "left",
    );
  } finally {
    await cleanup([shoal, web, db]);
  }
});
