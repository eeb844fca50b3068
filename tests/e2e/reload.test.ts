/**
 * End to end, under load through HAProxy, for HAProxy 2.6 and 3.2 run under the sidecar:
 * - slot mode (`server-template` slots + `server-state-file`, as examples/haproxy/haproxy.cfg): a
 *   SIGUSR2 sent straight to the HAProxy master, and a SIGHUP forwarded by the sidecar, reload
 *   HAProxy without one failed request;
 *   then a departing task's slot drains and is freed;
 * - a killed HAProxy is started again by the sidecar, which puts every task's server back
 *   (dynamic mode, where the new HAProxy starts empty; the time is printed and measured in
 *   `deno task bench:restarts`);
 * - (2.6) slot mode across a sidecar SIGKILL and restart: the new sidecar adopts the slots and
 *   hands them to the tasks that answer, so no slot is freed and no request fails.
 *
 * Addresses: 127.90.19.x.
 */

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { ShoalProcess } from "../_support/shoal_process.ts";
import { waitFor } from "../_support/wait.ts";
import {
  BACKEND,
  children,
  Cluster,
  freePortOn,
  gossipAddr,
  type HaproxyConfigOptions,
  type HaproxyFiles,
  type haproxyReader,
  Load,
  servers,
  SLOT_MODE,
} from "../_support/cluster_e2e.ts";
import {
  type SidecarSetup,
  startExternalHaproxy,
  startSidecar,
  startTasksUp,
  upCount as upAll,
} from "../_support/e2e_setup.ts";

const TASKS = ["task-1", "task-2", "task-3"];
const VERSIONS = [
  { label: "2.6", bin: "haproxy", net: 1 },
  { label: "3.2", bin: "/opt/shoal-peers/path/haproxy-3.2/haproxy", net: 2 },
];

async function upCount(reader: ReturnType<typeof haproxyReader>): Promise<number> {
  return (await servers(reader)).filter((r) => r.status.startsWith("UP")).length;
}

/** A sidecar of HAProxy version `v` and the three tasks, all UP. */
async function startPair(
  v: (typeof VERSIONS)[number],
  haproxy: Omit<HaproxyConfigOptions, "web">,
  extra: (files: HaproxyFiles) => string[],
): Promise<SidecarSetup & { tasks: ShoalProcess[] }> {
  const setup = await startSidecar(`127.90.19.${v.net}`, haproxy, { haproxy: v.bin, extra });
  try {
    const tasks = await startTasksUp(setup, {
      names: TASKS,
      hostOf: (i) => `127.90.19.${v.net * 10 + i + 1}`,
      upWithinMs: 20_000,
      up: upAll,
    });
    return { ...setup, tasks };
  } catch (err) {
    await setup.stop();
    throw err;
  }
}

for (const v of VERSIONS) {
  Deno.test(`e2e ${v.label}: slot mode reloads (SIGUSR2 to the master, forwarded SIGHUP) lose no request`, async () => {
    const setup = await startPair(v, SLOT_MODE, (files) => [
      `--server-state-file=${files.dir}/server-state`,
    ]);
    const { files, sidecar, hap: reader, tasks } = setup;
    let load: Load | undefined;
    try {
      await waitFor(
        "the state file",
        async () => (await Deno.stat(`${files.dir}/server-state`).catch(() => null)) !== null,
        5_000,
      );
      load = new Load(files.url, { ratePerS: 100, maxMs: 12_000 });
      await new Promise((r) => setTimeout(r, 1000)); // traffic before the first reload
      const [master] = children(sidecar.pid);
      ok(master, "the sidecar's HAProxy master");
      Deno.kill(master, "SIGUSR2"); // as an operator (or the official image) does
      await new Promise((r) => setTimeout(r, 2500));
      sidecar.kill("SIGHUP"); // forwarded by the sidecar, after it saved the state
      await sidecar.waitForLog("haproxy.process.reload", (l) => l.signal === "SIGHUP", 5_000);
      await new Promise((r) => setTimeout(r, 2500));
      const results = await load.stop();
      ok(results.length > 400, `${results.length} requests sent`);
      deepStrictEqual(load.failures(), [], `of ${results.length} requests`);
      equal(load.byTask().size, 3, "every task kept answering");
      equal(await upCount(reader), 3);

      // A departing task's slot drains, and the depart is answered once it is free.
      tasks[2]!.kill("SIGTERM");
      const answer = await tasks[2]!.waitForLog("task.depart.answer", undefined, 10_000);
      equal(answer.drained, true, JSON.stringify(answer));
      equal((await tasks[2]!.status).code, 0);
      await waitFor("two servers UP", async () => (await upCount(reader)) === 2, 5_000);
    } finally {
      await load?.stop();
      await setup.stop();
    }
  });

  Deno.test(`e2e ${v.label}: a killed HAProxy is restarted by the sidecar and gets every task back`, async () => {
    const setup = await startPair(v, {}, () => []);
    const { sidecar, hap: reader } = setup;
    try {
      const [master] = children(sidecar.pid);
      ok(master, "the sidecar's HAProxy master");
      for (const pid of [master, ...children(master)]) Deno.kill(pid, "SIGKILL");
      const restarted = await sidecar.waitForLog("haproxy.process.restarted", undefined, 10_000);
      ok(Number(restarted.pid) !== master);
      await waitFor(
        "the new HAProxy to answer",
        async () => (await reader.info().catch(() => undefined)) !== undefined,
        10_000,
        10,
      );
      const answering = performance.now();
      await waitFor(
        "three servers UP again",
        async () => (await upCount(reader)) === 3,
        10_000,
        20,
      );
      console.log(
        `every task back ${(performance.now() - answering).toFixed(0)} ms after HAProxy answered`,
      );
      equal(sidecar.logs().filter((l) => l.event === "sidecar.stopping").length, 0);
    } finally {
      await setup.stop();
    }
  });
}

Deno.test("e2e 2.6: slot mode, a SIGKILLed sidecar restarted (joining a task) frees no slot", async () => {
  const cluster = new Cluster();
  const { haproxy: hap, files, reader } = await startExternalHaproxy({
    dirPrefix: "shoal-e2e-slots-",
    ...SLOT_MODE,
  });
  const host = "127.90.19.3";
  // A short orphan grace: the slots adopted under their own names expire while the test watches.
  const extra = [`--server-state-file=${hap.dir}/server-state`, "--orphan-grace=2s"];
  let load: Load | undefined;
  try {
    const port = freePortOn(host);
    const first = await cluster.sidecar({
      name: "sidecar",
      host,
      port,
      files,
      supervise: false,
      extra,
    });
    const join = [await gossipAddr(first)];
    const tasks = await Promise.all(
      TASKS.map((name, i) => cluster.task({ name, host: `127.90.19.${31 + i}`, join })),
    );
    await waitFor("three servers UP", async () => (await upCount(reader)) === 3, 20_000);
    const before = (await reader.serversState(BACKEND)).map((r) => `${r.name} ${r.addr}:${r.port}`);
    load = new Load(hap.url(BACKEND), { ratePerS: 50, maxMs: 20_000 });
    first.kill("SIGKILL");
    await first.status;
    const second = await cluster.sidecar({
      name: "sidecar",
      host,
      port,
      files,
      supervise: false,
      extra,
      join: [await gossipAddr(tasks[0]!)],
    });
    equal(second.logs().filter((l) => l.event === "sidecar.server.adopted").length, 3);
    await second.waitForLog("sidecar.solicit", (l) => Number(l.answers) === 3, 10_000);
    await second.waitForLog("sidecar.orphan.removed", undefined, 10_000); // the adopted names go
    await new Promise((r) => setTimeout(r, 1000)); // passes after the orphans went
    const results = await load.stop();
    deepStrictEqual(load.failures(), [], `of ${results.length} requests`);
    const after = (await reader.serversState(BACKEND)).map((r) => `${r.name} ${r.addr}:${r.port}`);
    deepStrictEqual(after, before, "every task kept its slot");
    equal(await upCount(reader), 3);
  } finally {
    await load?.stop();
    await reader.close();
    await cluster.stop();
    await hap.stop();
  }
});
