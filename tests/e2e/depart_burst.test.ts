/**
 * End to end: a service scales in by 100 tasks at once. The tasks share a query clock (each saw
 * the same last query), so their 100 `depart` queries carry one Lamport time; the sidecar, with
 * its real HAProxy, must answer every one within its budget and take every server out.
 *
 * The tasks are the scale benchmark's swarm (`tests/bench/_task_swarm.ts`): our gossip nodes in
 * this process speaking the task side of the protocol, with an HAProxy answering their health
 * checks. Addresses: 127.97.0.1 (sidecar, frontend), 127.97.1.x (tasks).
 */

import { equal } from "node:assert/strict";
import { Cluster, freePortOn, gossipAddr, writeHaproxyConfig } from "../_support/cluster_e2e.ts";
import { waitFor } from "../_support/wait.ts";
import { serverNameFor } from "../../lib/haproxy/names.ts";
import { allGone, allUp, serverStatus } from "../bench/_scale_haproxy.ts";
import { TaskSwarm } from "../bench/_task_swarm.ts";

const HOST = "127.97.0.1";
const TASKS = 100;
const BUDGET_MS = 5000;

Deno.test({
  name: "e2e: 100 departs at one Lamport time are all answered and every server leaves HAProxy",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const cluster = new Cluster();
    const swarm = new TaskSwarm(97);
    try {
      const files = await writeHaproxyConfig({ web: `${HOST}:${freePortOn(HOST)}` });
      const sidecar = await cluster.sidecar({ name: "sidecar", host: HOST, files });
      const tasks = await swarm.grow(TASKS, await gossipAddr(sidecar));
      const announced = await swarm.announce(tasks);
      equal(announced.failed.length, 0, `never accepted: ${announced.failed.join(",")}`);
      await allUp(files.socket, TASKS, Date.now(), 30_000);

      // The announces have reached everyone: every task's next query gets the same LTime.
      const clocks = () => new Set(tasks.map((t) => t.runtime.serf.queryClock.time()));
      await waitFor("the tasks' query clocks agree", () => clocks().size === 1, 20_000);
      const [lTime] = clocks();

      const rounds = await swarm.depart(tasks, BUDGET_MS);
      const unanswered = tasks.filter((_, i) => rounds[i]!.answered === 0).map((t) => t.name);
      const departs = sidecar.logs().filter((l) => l.event === "sidecar.depart");
      equal(
        unanswered.length,
        0,
        `${unanswered.length} of ${TASKS} departs at LTime ${lTime} unanswered (the sidecar ` +
          `acted on ${departs.length}): ${unanswered.slice(0, 5).join(",")}…`,
      );
      const names = tasks.map((t) => serverNameFor(t.name));
      const gone = await allGone(files.socket, names, Date.now() + BUDGET_MS);
      equal(gone.left, 0, `${gone.left} of the departed servers still in HAProxy`);
      equal((await serverStatus(files.socket)).size, 0, "no server left in the backend");
    } finally {
      await swarm.stop();
      await cluster.stop();
    }
  },
});
