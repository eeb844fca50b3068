import assert from "node:assert/strict";
import {
  addServer,
  type DesiredServer,
  probeServerName,
  Reconciler,
  RuntimeClient,
  ServerAlreadyExistsError,
  serverNameFor,
  validateName,
} from "../../lib/haproxy/mod.ts";
import {
  cutOutcome,
  get,
  getOutcome,
  HaproxyProcess,
  rawCommand,
  startUpstream,
  waitFor,
} from "../_support/haproxy.ts";
import { systemClock } from "../../lib/clock.ts";

function server(name: string, addr: string, port: number, over: Partial<DesiredServer> = {}) {
  return { name, addr, port, weight: 1, state: "ready" as const, ...over };
}

/** `name:addr:port:admin` of every server in be_app. */
async function servers(client: RuntimeClient): Promise<string[]> {
  return (await client.serversState("be_app")).map((r) =>
    `${r.name}:${r.addr}:${r.port}:${r.admin}`
  );
}

Deno.test("Reconciler replaces a server with a request in flight without reviving the old one", async () => {
  await using hap = await HaproxyProcess.start();
  const a = startUpstream("a", "127.0.0.2");
  const b = startUpstream("b", "127.0.0.3");
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  // No periodic or retry pass during the test: the replace must work in the pass that plans it.
  const rec = new Reconciler(client, { backends: ["be_app"], periodMs: 60_000, retryMs: 60_000 });
  try {
    await rec.start();
    rec.setDesired("be_app", [server("shoal-a", "127.0.0.2", a.port)]);
    await rec.settled();
    const inFlight = getOutcome(hap.url("be_app", "/hold"));
    await waitFor("the request to reach a", () => a.held === 1);

    rec.setDesired("be_app", [server("shoal-a", "127.0.0.3", b.port)]);
    await rec.settled();
    const outcomes = rec.lastPass!.outcomes;
    assert.deepEqual(outcomes.map((o) => [o.step.kind, o.error?.name]), [["replace", undefined]]);
    assert.equal(await inFlight, await cutOutcome(), "the old server's session was shut down");
    assert.deepEqual(await servers(client), [`shoal-a:127.0.0.3:${b.port}:ready`]);
    for (let i = 0; i < 4; i++) assert.deepEqual(await get(hap.url()), { status: 200, body: "b" });
  } finally {
    await rec.stop();
    await client.close();
    await a.close();
    await b.close();
  }
});

Deno.test("Reconciler started again leaves running servers alone until setDesired", async () => {
  await using hap = await HaproxyProcess.start();
  const a = startUpstream("a", "127.0.0.2");
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  const options = { backends: ["be_app"], periodMs: 60_000, removeDelayMs: 300 };
  try {
    const first = new Reconciler(client, options);
    await first.start();
    first.setDesired("be_app", [server("shoal-a", "127.0.0.2", a.port)]);
    await first.settled();
    await first.stop();
    await rawCommand(hap.socketPath, "add server be_app/manual-1 127.0.0.4:2");

    const second = new Reconciler(client, options); // a restarted sidecar
    try {
      await second.start();
      await second.reconcileOnce();
      assert.deepEqual(await servers(client), [
        `shoal-a:127.0.0.2:${a.port}:ready`,
        "manual-1:127.0.0.4:2:maint",
      ]);
      assert.deepEqual(await get(hap.url()), { status: 200, body: "a" }, "still routing");
      const found = second.foundAtStart("be_app");
      assert.deepEqual(found.map((s) => [s.name, s.addr, s.port, s.admin]), [
        ["shoal-a", "127.0.0.2", a.port, "ready"],
      ]);

      second.setDesired("be_app", []);
      await second.settled();
      await waitFor(
        "shoal-a removed once setDesired says so",
        async () => (await servers(client)).join() === "manual-1:127.0.0.4:2:maint",
      );
    } finally {
      await second.stop();
    }
  } finally {
    await client.close();
    await a.close();
  }
});

Deno.test("Reconciler.reconcileOnce() never runs two passes at once", async () => {
  await using hap = await HaproxyProcess.start();
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  const rec = new Reconciler(client, { backends: ["be_app"], periodMs: 60_000 });
  try {
    await rec.start();
    rec.setDesired("be_app", [
      server("shoal-a", "127.0.0.2", 9),
      server("shoal-b", "127.0.0.2", 10),
    ]);
    const reports = await Promise.all([
      rec.reconcileOnce(),
      rec.reconcileOnce(),
      rec.reconcileOnce(),
    ]);
    await rec.settled();
    const outcomes = reports.flatMap((r) => r.outcomes);
    assert.deepEqual(outcomes.map((o) => o.error?.name).filter(Boolean), [], "no step failed");
    assert.equal(outcomes.filter((o) => o.step.kind === "add").length, 2, "each server added once");
    assert.deepEqual((await servers(client)).length, 2);
  } finally {
    await rec.stop();
    await client.close();
  }
});

Deno.test("Reconciler puts a managed server found in maintenance back in service", async () => {
  await using hap = await HaproxyProcess.start();
  const a = startUpstream("a", "127.0.0.2");
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  const rec = new Reconciler(client, { backends: ["be_app"], periodMs: 60_000 });
  try {
    await rec.start();
    rec.setDesired("be_app", [server("shoal-a", "127.0.0.2", a.port)]);
    await rec.settled();
    await rawCommand(hap.socketPath, "set server be_app/shoal-a state maint");
    assert.equal((await get(hap.url())).status, 503);
    const report = await rec.reconcileOnce();
    assert.deepEqual(report.plan.steps.map((s) => s.kind), ["ready"]);
    assert.deepEqual(await servers(client), [`shoal-a:127.0.0.2:${a.port}:ready`]);
    assert.deepEqual(await get(hap.url()), { status: 200, body: "a" });
  } finally {
    await rec.stop();
    await client.close();
    await a.close();
  }
});

Deno.test("Reconciler replaces a server when its check options change", async () => {
  await using hap = await HaproxyProcess.start();
  const a = startUpstream("a", "127.0.0.2");
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  const rec = new Reconciler(client, { backends: ["be_app"], periodMs: 60_000 });
  const checkRise = async () =>
    (await client.stat("be_app")).find((r) => r.service === "shoal-a")?.fields.get("check_rise");
  try {
    await rec.start();
    rec.setDesired("be_app", [server("shoal-a", "127.0.0.2", a.port, { check: { rise: 2 } })]);
    await rec.settled();
    assert.equal(await checkRise(), "2");
    rec.setDesired("be_app", [server("shoal-a", "127.0.0.2", a.port, { check: { rise: 3 } })]);
    await rec.settled();
    const replaced = rec.lastPass!.outcomes.find((o) => o.step.kind === "replace");
    assert.ok(replaced && replaced.step.kind === "replace" && replaced.step.reason === "options");
    assert.equal(replaced.error, undefined);
    assert.equal(await checkRise(), "3");
    assert.deepEqual((await rec.reconcileOnce()).plan.steps, [], "nothing left to do");
  } finally {
    await rec.stop();
    await client.close();
    await a.close();
  }
});

Deno.test("Reconciler.start() probe never deletes a node named capability-probe", async () => {
  await using hap = await HaproxyProcess.start();
  const a = startUpstream("a", "127.0.0.2");
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  const name = serverNameFor("capability-probe");
  const probe = probeServerName("shoal-");
  assert.throws(() => validateName("server", probe), "no desired server can have the probe's name");
  try {
    await addServer(client, { backend: "be_app", name, addr: "127.0.0.2", port: a.port });
    // A probe left by a crashed run is cleaned up.
    await rawCommand(hap.socketPath, `add server be_app/${probe} 127.0.0.1:1 weight 0`);
    const rec = new Reconciler(client, { backends: ["be_app"], periodMs: 60_000 });
    await rec.start();
    await rec.stop();
    assert.deepEqual(await servers(client), [`${name}:127.0.0.2:${a.port}:ready`]);
    assert.deepEqual(await get(hap.url()), { status: 200, body: "a" });

    // Something else that only has the probe's name is not ours: left alone, start fails.
    await rawCommand(hap.socketPath, `add server be_app/${probe} 127.0.0.2:9 weight 5`);
    const other = new Reconciler(client, { backends: ["be_app"], periodMs: 60_000 });
    await assert.rejects(other.start(), ServerAlreadyExistsError);
    await other.stop();
    assert.ok((await servers(client)).includes(`${probe}:127.0.0.2:9:maint`));
  } finally {
    await client.close();
    await a.close();
  }
});
