/**
 * End to end: a second task started with a live task's `--node` (issue 12 item 2). The live
 * member keeps its name (serf's name-conflict resolution), its server stays UP in the real
 * HAProxy throughout, the sidecar refuses the newcomer's announce (its source is not the name
 * holder's gossip address), and the newcomer exits non-zero with one clear line.
 *
 * Addresses: 127.90.43.x.
 */

import { deepStrictEqual, equal, notEqual, ok } from "node:assert/strict";
import { waitFor } from "../_support/serf_agent.ts";
import { startShoal } from "../_support/shoal_process.ts";
import { watchUp } from "../_support/up_watch.ts";
import {
  Cluster,
  DEMO_WORKER,
  freePortOn,
  gossipAddr,
  haproxyReader,
  upExactly,
  writeHaproxyConfig,
} from "../_support/cluster_e2e.ts";

Deno.test("e2e: a newcomer reusing a live task's name never displaces it and exits non-zero", async () => {
  const cluster = new Cluster();
  const files = await writeHaproxyConfig({ web: `127.90.43.1:${freePortOn("127.90.43.1")}` });
  const reader = haproxyReader(files.socket);
  let watch: ReturnType<typeof watchUp> | undefined;
  try {
    const sidecar = await cluster.sidecar({ name: "sidecar", host: "127.90.43.1", files });
    const join = [await gossipAddr(sidecar)];
    const original = await cluster.task({ name: "task-x", host: "127.90.43.11", join });
    const originalAddr = await gossipAddr(original);
    await waitFor("the original UP", () => upExactly(reader, ["task-x"]), 20_000);

    watch = watchUp(() => upExactly(reader, ["task-x"]));
    const newcomer = cluster.track(startShoal([
      "task",
      "--node=task-x",
      "--bind=127.90.43.12:0",
      ...join.map((j) => `--join=${j}`),
      "--rpc-addr=",
      "--listen-addr=127.90.43.12:0",
      "--",
      Deno.execPath(),
      "run",
      "-A",
      DEMO_WORKER,
    ], { DEMO_TASK: "newcomer" }));
    const status = await newcomer.status;
    notEqual(status.code, 0, "the newcomer must fail");
    const line = `node name "task-x" is already used by a live member at ${originalAddr}; ` +
      "pick a unique --node";
    ok(
      newcomer.logs().some((l) => l.level === "error" && l.error === line),
      newcomer.output().slice(-3000),
    );
    // A moment for anything the newcomer caused to reach HAProxy.
    await new Promise((r) => setTimeout(r, 2_000));
    await watch.stop();
    deepStrictEqual(watch.gaps, [], "the original's server left rotation");
    equal(
      sidecar.logs().filter((l) =>
        l.event === "sidecar.announce" && l.member === "task-x" && l.accepted === true &&
        String(l.addr).startsWith("127.90.43.12")
      ).length,
      0,
      "the sidecar accepted the newcomer's announce",
    );
  } finally {
    await watch?.stop();
    await reader.close();
    await cluster.stop();
  }
});
