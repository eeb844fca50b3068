/**
 * End to end with the production settings `retries 3` + `option redispatch 1` in the backend:
 * a request whose connection to a dead task is refused is retried at once on another server
 * instead of the same one after HAProxy's 1 s turn-around. Under load, a worker crash and a
 * whole-task SIGKILL then fail at most the requests the dead worker had in flight, and the
 * immediate `del server` after a crash no longer crashes HAProxy 2.6.12 (see failures.test.ts).
 *
 * Addresses: 127.90.6.x.
 */

import { equal, ok } from "node:assert/strict";
import { waitFor } from "../_support/wait.ts";
import { killTree, Load, whenServer, workerPid } from "../_support/cluster_e2e.ts";
import { startSidecar, startTasksUp } from "../_support/e2e_setup.ts";

const HOST = "127.90.6.1";
const TASKS = ["crash", "killed", "survivor"];
/**
 * Requests a dead worker can have had in flight at 50 req/s: each is answered in a few ms, so
 * usually 0 or 1; 3 leaves room for a loaded machine. Without redispatch the count is the
 * requests of a whole check interval (30-50, see failures.test.ts).
 */
const IN_FLIGHT_MAX = 3;

Deno.test("e2e: with option redispatch, crashes under load fail only requests in flight", async () => {
  const setup = await startSidecar(HOST, { backendLines: ["retries 3", "option redispatch 1"] });
  const { files, hap, sidecar } = setup;
  let load: Load | undefined;
  try {
    const [crash, killed] = await startTasksUp(setup, {
      names: TASKS,
      hostOf: (i) => `127.90.6.${11 + i}`,
      upWithinMs: 20_000,
    });
    load = new Load(files.url, { ratePerS: 50, maxMs: 25_000 });
    await waitFor("load under way", () => load!.results.length >= 25, 5_000);

    Deno.kill(await workerPid(crash!), "SIGKILL");
    await whenServer(hap, "crash", (s) => s === undefined, 10_000);
    await waitFor("1.5 s more load", () => load!.results.length >= 100, 10_000);
    const afterCrash = load.failures().length;
    ok(afterCrash <= IN_FLIGHT_MAX, `${afterCrash} requests failed around the worker crash`);

    killTree(killed!.pid, "SIGKILL");
    await whenServer(hap, "killed", (s) => s !== undefined && !s.startsWith("UP"), 6_000);
    await whenServer(hap, "killed", (s) => s === undefined, 25_000);
    const results = await load.stop();
    const failed = load.failures().length - afterCrash;
    ok(failed <= IN_FLIGHT_MAX, `${failed} requests failed around the task kill`);
    const died = sidecar.logs().find((l) => l.event === "haproxy.process.exited");
    equal(died, undefined, "HAProxy survived");
    console.log(`${load.failures().length} of ${results.length} requests failed`);
  } finally {
    await load?.stop();
    await setup.stop();
  }
});
