/**
 * End to end: a rolling restart of every task under continuous load through HAProxy loses no
 * request. Each old task gets SIGTERM alone (as ECS sends it: shoal departs, the sidecar drains
 * the server out of HAProxy, only then the worker is stopped) while its replacement starts.
 *
 * Addresses: 127.90.2.x.
 */

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { waitFor } from "../_support/wait.ts";
import { Load, serverOf, servers, upExactly } from "../_support/cluster_e2e.ts";
import { startSidecar, startTasksUp } from "../_support/e2e_setup.ts";

const HOST = "127.90.2.1";

Deno.test("e2e: rolling restart of 3 tasks at 50 req/s through HAProxy fails no request", async () => {
  const setup = await startSidecar(HOST);
  const { cluster, files, hap, join } = setup;
  let load: Load | undefined;
  try {
    const old = ["old-1", "old-2", "old-3"];
    const olds = await startTasksUp(setup, {
      names: old,
      hostOf: (i) => `127.90.2.${11 + i}`,
      upWithinMs: 20_000,
    });

    load = new Load(files.url, { ratePerS: 50, maxMs: 20_000 });
    const live = [...old];
    for (const [i, proc] of olds.entries()) {
      const name = `new-${i + 1}`;
      proc.kill("SIGTERM"); // the task process only; shoal stops its worker itself
      const [status] = await Promise.all([
        proc.status,
        cluster.task({ name, host: `127.90.2.${21 + i}`, join }),
      ]);
      equal(status.code, 0, `${old[i]} exit status`);
      live.splice(live.indexOf(old[i]!), 1, name);
      await waitFor(`${name} UP and ${old[i]} gone`, () => upExactly(hap, live), 15_000);
    }
    const results = await load.stop();
    const failures = load.failures();
    deepStrictEqual(failures, [], `${failures.length} of ${results.length} requests failed`);
    ok(results.length >= 100, `only ${results.length} requests were sent`);
    const names = (await servers(hap)).map((s) => s.service).sort();
    deepStrictEqual(names, ["new-1", "new-2", "new-3"].map(serverOf));
    for (const name of ["new-1", "new-2", "new-3"]) {
      ok((load.byTask().get(name) ?? 0) > 0, `${name} served nothing`);
    }
  } finally {
    await load?.stop();
    await setup.stop();
  }
});
