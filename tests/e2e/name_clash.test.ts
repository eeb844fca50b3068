/**
 * End to end: a second task started with a live task's `--node` (issue 12 item 2). The live
 * member keeps its name (serf's name-conflict resolution), its server stays UP in the real
 * HAProxy throughout, the sidecar refuses the newcomer's announce (its source is not the name
 * holder's gossip address), and the newcomer exits non-zero with one clear line.
 *
 * Addresses: 127.90.43.x.
 */

import { deepStrictEqual, equal, notEqual, ok } from "node:assert/strict";
import { startShoal } from "../_support/shoal_process.ts";
import { watchUp } from "../_support/up_watch.ts";
import { DEMO_WORKER, gossipAddr, upExactly } from "../_support/cluster_e2e.ts";
import { startSidecar, startTasksUp } from "../_support/e2e_setup.ts";

Deno.test("e2e: a newcomer reusing a live task's name never displaces it and exits non-zero", async () => {
  const setup = await startSidecar("127.90.43.1");
  const { cluster, hap: reader, join, sidecar } = setup;
  let watch: ReturnType<typeof watchUp> | undefined;
  try {
    const original = (await startTasksUp(setup, {
      names: ["task-x"],
      hostOf: () => "127.90.43.11",
      upWithinMs: 20_000,
    }))[0]!;
    const originalAddr = await gossipAddr(original);

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
    await setup.stop();
  }
});
