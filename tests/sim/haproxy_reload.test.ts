/**
 * The simulated HAProxy's reload, as the contract's reload script pins it down on real 2.6 and
 * 3.2: a connection opened before the reload stays with the old process (`Stopping: 1`, its
 * servers and sessions), and the product's client gets to the new process by resetting it.
 */

import assert from "node:assert/strict";
import { RuntimeClient } from "../../lib/haproxy/client.ts";
import { addServerCommand } from "../../lib/haproxy/commands.ts";
import { VirtualClock } from "../_support/virtual_clock.ts";
import { SimAdminSocket } from "./haproxy/cli.ts";
import { SimHaproxy } from "./haproxy/model.ts";

/** Runs `p` while virtual time advances (each reply takes 1 ms of it). */
async function settle<T>(clock: VirtualClock, p: Promise<T>): Promise<T> {
  let done = false;
  const out = p.finally(() => (done = true));
  for (let i = 0; i < 1000 && !done; i++) await clock.advance(1);
  return await out;
}

Deno.test("sim HAProxy reload: the old connection reaches a stopping process until reset", async () => {
  const clock = new VirtualClock();
  const hap = new SimHaproxy({ clock, backends: [{ name: "be_app" }] });
  const socket = new SimAdminSocket(hap, clock);
  const client = new RuntimeClient({ connector: socket.connector(), clock });
  const run = <T>(p: Promise<T>) => settle(clock, p);
  await run(
    client.execute(addServerCommand({ backend: "be_app", name: "a", addr: "10.0.0.1", port: 80 })),
  );
  const before = await run(client.info());
  assert.equal(before.stopping, false);
  const s = hap.server("be_app", "a");
  assert.ok(s, "server added");
  s.admin = "ready";
  const session = hap.openSession("be_app");
  assert.equal(session, s);

  socket.reload();
  const stale = await run(client.info());
  assert.deepEqual([stale.stopping, stale.pid], [true, before.pid]);
  assert.deepEqual((await run(client.serversState("be_app"))).map((r) => r.name), ["a"]);
  await run(client.reset());
  const fresh = await run(client.info());
  assert.deepEqual([fresh.stopping, fresh.pid], [false, before.pid + 1]);
  assert.deepEqual(await run(client.serversState("be_app")), []);

  // The old process keeps its session until it ends.
  assert.equal(s.sessions, 1);
  hap.closeSession(s);
  assert.equal(s.sessions, 0);
  await run(client.close());
});
