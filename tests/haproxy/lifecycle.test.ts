import assert from "node:assert/strict";
import {
  addServer,
  addServerCommand,
  drainServer,
  NoSuchServerError,
  removeServerNow,
  RuntimeClient,
  setStateCommand,
} from "../../lib/haproxy/mod.ts";
import {
  cutOutcome,
  get,
  getOutcome,
  HaproxyProcess,
  startUpstream,
  waitFor,
} from "../_support/haproxy.ts";
import { systemClock } from "../../lib/clock.ts";

Deno.test("addServer() adds, is a no-op for the same address, and replaces another", async () => {
  await using hap = await HaproxyProcess.start();
  const a = startUpstream("a", "127.0.0.2");
  const b = startUpstream("b", "127.0.0.3");
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  try {
    const spec = { backend: "be_app", name: "shoal-x", addr: "127.0.0.2", port: a.port };
    assert.equal(await addServer(client, spec), "added");
    assert.deepEqual(await get(hap.url()), { status: 200, body: "a" });
    assert.equal(await addServer(client, spec), "unchanged");
    assert.equal(await addServer(client, { ...spec, addr: "127.0.0.3", port: b.port }), "replaced");
    const rows = await client.serversState("be_app");
    assert.deepEqual(rows.map((r) => [r.name, r.addr, r.port, r.admin]), [
      ["shoal-x", "127.0.0.3", b.port, "ready"],
    ]);
    assert.deepEqual(await get(hap.url()), { status: 200, body: "b" });
  } finally {
    await client.close();
    await a.close();
    await b.close();
  }
});

Deno.test("addServer() puts a same-address server left in maintenance back in service", async () => {
  await using hap = await HaproxyProcess.start();
  const a = startUpstream("a", "127.0.0.2");
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  try {
    const spec = { backend: "be_app", name: "shoal-x", addr: "127.0.0.2", port: a.port, weight: 4 };
    assert.equal(await addServer(client, spec), "added");
    await client.execute(setStateCommand("be_app", "shoal-x", "maint"));
    assert.equal((await get(hap.url())).status, 503);
    assert.equal(await addServer(client, spec), "updated");
    const rows = await client.serversState("be_app");
    assert.deepEqual(rows.map((r) => [r.name, r.admin, r.uweight]), [["shoal-x", "ready", 4]]);
    assert.deepEqual(await get(hap.url()), { status: 200, body: "a" });
    assert.equal(await addServer(client, spec), "unchanged");
    assert.equal(await addServer(client, { ...spec, weight: 7 }), "updated");
    assert.equal((await client.serversState("be_app"))[0]?.uweight, 7);
  } finally {
    await client.close();
    await a.close();
  }
});

Deno.test("addServer() starts a checked server found in maintenance DOWN until its checks pass", async () => {
  await using hap = await HaproxyProcess.start();
  const a = startUpstream("a", "127.0.0.2");
  a.healthy = false;
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  try {
    const check = { interMs: 2000, rise: 1, fall: 3 };
    const spec = { backend: "be_app", name: "shoal-x", addr: "127.0.0.2", port: a.port, check };
    await client.execute(addServerCommand(spec)); // added, never enabled: left in maintenance
    assert.equal(await addServer(client, spec), "updated");
    const status = (await client.stat("be_app")).find((r) => r.service === "shoal-x")?.status;
    assert.match(status ?? "", /^DOWN/);
    assert.equal((await get(hap.url())).status, 503);
  } finally {
    await client.close();
    await a.close();
  }
});

Deno.test("drainServer() lets an in-flight request finish, then deletes the server", async () => {
  await using hap = await HaproxyProcess.start();
  const a = startUpstream("a", "127.0.0.2");
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  try {
    await addServer(client, {
      backend: "be_app",
      name: "shoal-a",
      addr: "127.0.0.2",
      port: a.port,
    });
    const inFlight = get(hap.url("be_app", "/hold"));
    await waitFor("the request to reach the upstream", () => a.held === 1);
    const drained = drainServer(client, { backend: "be_app", name: "shoal-a" }, {
      timeoutMs: 10_000,
      pollMs: 20,
    });
    await waitFor(
      "DRAIN status",
      async () =>
        (await client.stat("be_app")).find((r) => r.service === "shoal-a")?.status === "DRAIN",
    );
    a.release();
    assert.deepEqual(await inFlight, { status: 200, body: "a" });
    assert.deepEqual(await drained, { forced: false });
    assert.deepEqual(await client.serversState("be_app"), []);
  } finally {
    await client.close();
    await a.close();
  }
});

Deno.test("drainServer() shuts sessions down at the deadline; removeServerNow() at once", async () => {
  await using hap = await HaproxyProcess.start();
  const a = startUpstream("a", "127.0.0.2");
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  try {
    const spec = { backend: "be_app", name: "shoal-a", addr: "127.0.0.2", port: a.port };
    await addServer(client, spec);
    const stuck = getOutcome(hap.url("be_app", "/hold"));
    await waitFor("the request to reach the upstream", () => a.held === 1);
    const started = performance.now();
    const outcome = await drainServer(client, spec, { timeoutMs: 200, pollMs: 20 });
    assert.deepEqual(outcome, { forced: true });
    const tookMs = performance.now() - started;
    assert.ok(tookMs >= 190 && tookMs < 200 + 1000, `cut after ${tookMs} ms`);
    assert.equal(await stuck, await cutOutcome(), "the cut request fails at HAProxy");
    assert.deepEqual(await client.serversState("be_app"), []);

    await addServer(client, spec);
    const cut = getOutcome(hap.url("be_app", "/hold"));
    await waitFor("the request to reach the upstream", () => a.held === 2);
    await removeServerNow(client, "be_app", "shoal-a");
    assert.equal(await cut, await cutOutcome());
    assert.deepEqual(await client.serversState("be_app"), []);
    await removeServerNow(client, "be_app", "shoal-a"); // already gone: fine
    await assert.rejects(drainServer(client, spec), NoSuchServerError);
  } finally {
    await client.close();
    await a.close();
  }
});
