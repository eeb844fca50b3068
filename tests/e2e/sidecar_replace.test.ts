/**
 * End to end, HAProxy outside the sidecar: the sidecar is replaced on the same gossip address and
 * every live task finds the new one by itself (issue 12 item 1, issue 19 item 1). The new sidecar
 * is started without `--join`, with a short `--orphan-grace`: only the tasks' rejoin (and the
 * sidecar learning an unknown announcer) can bring them back before the grace ends, and no
 * healthy server may leave HAProxy meanwhile.
 *
 * The last case is the pair of issue 19 item 3: a sidecar that supervises HAProxy stops (and stops
 * HAProxy); the restarted sidecar and its new, empty HAProxy get every task back.
 *
 * Addresses: 127.90.41.x.
 */

import { deepStrictEqual, equal } from "node:assert/strict";
import { waitFor } from "../_support/wait.ts";
import type { ShoalProcess } from "../_support/shoal_process.ts";
import { watchUp } from "../_support/up_watch.ts";
import { Cluster, freePortOn, gossipAddr, upExactly } from "../_support/cluster_e2e.ts";
import { startExternalHaproxy, startSidecar, startTasksUp } from "../_support/e2e_setup.ts";

const HOST = "127.90.41.1";
const TASKS = ["task-1", "task-2"];
/** Short, so a replacement that does not bring the tasks back shows as removed servers. */
const GRACE = ["--orphan-grace=4s"];

async function scenario(
  stopOld: (old: ShoalProcess) => Promise<void>,
  newName: string,
): Promise<void> {
  const cluster = new Cluster();
  const { haproxy: hap, files, reader } = await startExternalHaproxy({
    dirPrefix: "shoal-e2e-replace-",
  });
  let watch: ReturnType<typeof watchUp> | undefined;
  try {
    const port = freePortOn(HOST);
    const sidecar = { host: HOST, port, files, supervise: false, extra: GRACE };
    const first = await cluster.sidecar({ ...sidecar, name: "sidecar-a" });
    const join = [await gossipAddr(first)];
    await Promise.all(
      TASKS.map((name, i) => cluster.task({ name, host: `127.90.41.${11 + i}`, join })),
    );
    await waitFor("servers UP", () => upExactly(reader, TASKS), 20_000);

    watch = watchUp(() => upExactly(reader, TASKS));
    await stopOld(first);
    const second = await cluster.sidecar({ ...sidecar, name: newName });
    for (const node of TASKS) {
      await second.waitForLog(
        "sidecar.announce",
        (l) => l.member === node && l.accepted === true,
        10_000,
      );
    }
    // Past the orphan grace: nothing was removed, every server stayed UP.
    await new Promise((r) => setTimeout(r, 5_000)); // the grace (4 s) and one more second
    await watch.stop();
    equal(second.logs().filter((l) => l.event === "sidecar.orphan.removed").length, 0);
    equal(second.logs().filter((l) => l.event === "haproxy.server.delete").length, 0);
    deepStrictEqual(watch.gaps, [], "a healthy server left rotation during the replacement");
  } finally {
    await watch?.stop();
    await reader.close();
    await cluster.stop();
    await hap.stop();
  }
}

Deno.test("e2e: a sidecar replaced after a graceful stop (new name, same address) gets every task back", async () => {
  await scenario(async (old) => {
    old.kill("SIGTERM");
    equal((await old.status).code, 0);
  }, "sidecar-b");
});

Deno.test("e2e: a SIGKILLed sidecar restarted with the same name gets every task back", async () => {
  await scenario(async (old) => {
    old.kill("SIGKILL");
    await old.status;
    // Long enough for the tasks to declare it failed (as in issue 19's run).
    await new Promise((r) => setTimeout(r, 5_000));
  }, "sidecar-a");
});

Deno.test("e2e: a supervising sidecar stopped with its HAProxy: the restarted pair gets every task back", async () => {
  const host = "127.90.41.2";
  const port = freePortOn(host);
  const setup = await startSidecar(host, {}, { name: "sidecar-h", port });
  try {
    const { cluster, files, hap: reader, sidecar: first } = setup;
    await startTasksUp(setup, {
      names: TASKS,
      hostOf: (i) => `127.90.41.${21 + i}`,
      upWithinMs: 20_000,
    });
    first.kill("SIGTERM"); // it leaves the cluster and stops its HAProxy
    equal((await first.status).code, 0);
    const second = await cluster.sidecar({ name: "sidecar-h", host, port, files });
    for (const node of TASKS) {
      await second.waitForLog(
        "sidecar.announce",
        (l) => l.member === node && l.accepted === true,
        10_000,
      );
    }
    await waitFor("servers UP in the new HAProxy", () => upExactly(reader, TASKS), 10_000);
  } finally {
    await setup.stop();
  }
});
