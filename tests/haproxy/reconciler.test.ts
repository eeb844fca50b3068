import assert from "node:assert/strict";
import {
  BackendCheckError,
  type DesiredServer,
  Reconciler,
  RuntimeClient,
} from "../../lib/haproxy/mod.ts";
import { MemoryLogger } from "../../lib/log/logger.ts";
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

async function statusOf(client: RuntimeClient, name: string): Promise<string | undefined> {
  return (await client.stat("be_app")).find((r) => r.service === name)?.status;
}

Deno.test("Reconciler.start() says why a backend cannot take dynamic servers", async () => {
  await using hap = await HaproxyProcess.start({
    backends: [
      { name: "be_app" },
      { name: "be_static", balance: "static-rr", lines: [] },
      { name: "be_src", balance: "source", lines: [] },
      { name: "be_hash", balance: "uri", lines: ["hash-type consistent"] },
    ],
  });
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  try {
    for (
      const [backend, reason] of [["be_static", "not-dynamic"], ["be_src", "not-dynamic"], [
        "be_missing",
        "missing",
      ]] as const
    ) {
      const rec = new Reconciler(client, { backends: ["be_app", backend] });
      await assert.rejects(rec.start(), (e: unknown) => {
        assert.ok(e instanceof BackendCheckError);
        assert.equal(e.backend, backend);
        assert.equal(e.reason, reason);
        assert.match(e.message, new RegExp(backend));
        return true;
      });
      await rec.stop();
    }
    const ok = new Reconciler(client, { backends: ["be_app", "be_hash"] });
    await ok.start();
    await ok.stop();
    assert.deepEqual(await client.serversState("be_app"), [], "the probe server is gone");
  } finally {
    await client.close();
  }
});

Deno.test("Reconciler adds and removes managed servers and leaves the others alone", async () => {
  await using hap = await HaproxyProcess.start({
    backends: [{ name: "be_app", lines: ["server static1 127.0.0.4:1 disabled"] }],
  });
  const a = startUpstream("a", "127.0.0.2");
  const b = startUpstream("b", "127.0.0.3");
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  const rec = new Reconciler(client, {
    backends: ["be_app"],
    periodMs: 60_000,
    observeSessions: true,
    removeDelayMs: 300,
  });
  try {
    await rawCommand(hap.socketPath, "add server be_app/manual-1 127.0.0.4:2");
    await rec.start();
    rec.setDesired("be_app", [
      server("shoal-a", "127.0.0.2", a.port),
      server("shoal-b", "127.0.0.3", b.port),
    ]);
    await rec.settled();
    const bodies = new Set<string>();
    for (let i = 0; i < 4; i++) bodies.add((await get(hap.url())).body);
    assert.deepEqual([...bodies].sort(), ["a", "b"]);

    rec.setDesired("be_app", [server("shoal-a", "127.0.0.2", a.port)]);
    await rec.settled();
    const state = async () =>
      (await client.serversState("be_app")).map((r) => `${r.name}:${r.admin}`).sort();
    // out of rotation at once, deleted after REMOVE_DELAY_MS in maintenance
    assert.deepEqual(await state(), [
      "manual-1:maint",
      "shoal-a:ready",
      "shoal-b:maint",
      "static1:maint",
    ]);
    await waitFor("shoal-b deleted", async () => !(await state()).includes("shoal-b:maint"));
    assert.deepEqual(await state(), ["manual-1:maint", "shoal-a:ready", "static1:maint"]);
    assert.deepEqual((await rec.reconcileOnce()).plan.steps, []);
    const a1 = rec.observed("be_app").find((s) => s.name === "shoal-a");
    assert.deepEqual([a1?.admin, a1?.uweight, a1?.sessions], [
      "ready",
      1,
      { scur: 0, qcur: 0, backendQcur: 0 },
    ]);
  } finally {
    await rec.stop();
    await client.close();
    await a.close();
    await b.close();
  }
});

Deno.test("Reconciler drain: the in-flight request completes with 200, nothing new arrives", async () => {
  await using hap = await HaproxyProcess.start();
  const a = startUpstream("a", "127.0.0.2");
  const b = startUpstream("b", "127.0.0.3");
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  const log = new MemoryLogger();
  const rec = new Reconciler(client, {
    backends: ["be_app"],
    drainPollMs: 20,
    periodMs: 60_000,
    logger: log,
  });
  try {
    await rec.start();
    rec.setDesired("be_app", [server("shoal-a", "127.0.0.2", a.port)]);
    await rec.settled();
    const inFlight = get(hap.url("be_app", "/hold"));
    await waitFor("the long request to reach a", () => a.held === 1);

    rec.setDesired("be_app", [
      server("shoal-a", "127.0.0.2", a.port, { state: "drain" }),
      server("shoal-b", "127.0.0.3", b.port),
    ]);
    await rec.settled();
    assert.equal(await statusOf(client, "shoal-a"), "DRAIN");
    const seenByA = a.requests.length;
    for (let i = 0; i < 20; i++) assert.deepEqual(await get(hap.url()), { status: 200, body: "b" });
    assert.equal(a.requests.length, seenByA, "no request reached a after the drain started");
    assert.ok((await client.serversState("be_app")).some((r) => r.name === "shoal-a"));

    a.release();
    assert.deepEqual(await inFlight, { status: 200, body: "a" });
    await waitFor(
      "shoal-a to be deleted",
      async () => !(await client.serversState("be_app")).some((r) => r.name === "shoal-a"),
    );
    // Idle → maintenance → (pause, sessions checked again) → delete, as the spec's safety note says.
    const steps = log.records.filter((r) =>
      r.fields["server"] === "shoal-a" && r.event.startsWith("haproxy.server.")
    );
    assert.deepEqual(steps.map((r) => r.event).slice(-3), [
      "haproxy.server.drain",
      "haproxy.server.maint",
      "haproxy.server.delete",
    ]);
  } finally {
    await rec.stop();
    await client.close();
    await a.close();
    await b.close();
  }
});

Deno.test("Reconciler cuts a drain at its deadline and removes undesired servers at once", async () => {
  await using hap = await HaproxyProcess.start();
  const a = startUpstream("a", "127.0.0.2");
  const b = startUpstream("b", "127.0.0.3");
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  const rec = new Reconciler(client, {
    backends: ["be_app"],
    drainTimeoutMs: 300,
    drainPollMs: 20,
    periodMs: 60_000,
    removeDelayMs: 300,
  });
  try {
    await rec.start();
    rec.setDesired("be_app", [server("shoal-a", "127.0.0.2", a.port)]);
    await rec.settled();
    const stuck = getOutcome(hap.url("be_app", "/hold"));
    await waitFor("the request to reach a", () => a.held === 1);
    const drainStarted = performance.now();
    rec.setDesired("be_app", [server("shoal-a", "127.0.0.2", a.port, { state: "drain" })]);
    assert.equal(await stuck, await cutOutcome(), "cut at the deadline");
    const cutAfterMs = performance.now() - drainStarted;
    assert.ok(cutAfterMs >= 250 && cutAfterMs < 300 + 1000, `cut after ${cutAfterMs} ms`);
    await waitFor(
      "shoal-a deleted",
      async () => (await client.serversState("be_app")).length === 0,
    );

    rec.setDesired("be_app", [server("shoal-b", "127.0.0.3", b.port)]);
    await rec.settled();
    const dying = getOutcome(hap.url("be_app", "/hold"));
    await waitFor("the request to reach b", () => b.held === 1);
    rec.setDesired("be_app", []);
    await rec.settled();
    assert.equal(await dying, await cutOutcome(), "its sessions are cut at once");
    await waitFor(
      "shoal-b deleted",
      async () => (await client.serversState("be_app")).length === 0,
    );
  } finally {
    await rec.stop();
    await client.close();
    await a.close();
    await b.close();
  }
});

Deno.test("Reconciler: a checked server gets no traffic until its health check passes", async () => {
  await using hap = await HaproxyProcess.start();
  const b = startUpstream("b", "127.0.0.2");
  const c = startUpstream("c", "127.0.0.3");
  c.healthy = false;
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  const rec = new Reconciler(client, { backends: ["be_app"], periodMs: 60_000 });
  const check = { interMs: 100, rise: 1, fall: 1 };
  // A wide window: ungated, `state ready` would leave shoal-c UP for about fall × inter = 6 s.
  const slowCheck = { interMs: 2000, rise: 1, fall: 3 };
  try {
    await rec.start();
    rec.setDesired("be_app", [server("shoal-b", "127.0.0.2", b.port, { check })]);
    await rec.settled();
    await waitFor("shoal-b UP", async () => (await statusOf(client, "shoal-b")) === "UP");
    rec.setDesired("be_app", [
      server("shoal-b", "127.0.0.2", b.port, { check }),
      server("shoal-c", "127.0.0.3", c.port, { check: slowCheck }),
    ]);
    await rec.settled();
    assert.match((await statusOf(client, "shoal-c")) ?? "", /^DOWN/, "DOWN right after the add");
    for (let i = 0; i < 20; i++) assert.deepEqual(await get(hap.url()), { status: 200, body: "b" });
    assert.equal(c.requests.length, 0, "no traffic before the check passed");
    assert.match((await statusOf(client, "shoal-c")) ?? "", /^DOWN/);

    c.healthy = true;
    await waitFor("shoal-c UP", async () => (await statusOf(client, "shoal-c")) === "UP");
    const bodies = new Set<string>();
    for (let i = 0; i < 6; i++) bodies.add((await get(hap.url())).body);
    assert.ok(bodies.has("c"), "traffic starts once the check passes");
  } finally {
    await rec.stop();
    await client.close();
    await b.close();
    await c.close();
  }
});

Deno.test("Reconciler coalesces bursts of changes into few passes", async () => {
  await using hap = await HaproxyProcess.start();
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  const rec = new Reconciler(client, { backends: ["be_app"], periodMs: 60_000, coalesceMs: 20 });
  try {
    await rec.start();
    const before = rec.passCount;
    for (let i = 1; i <= 100; i++) {
      rec.setDesired(
        "be_app",
        Array.from({ length: i % 7 }, (_, k) => server(`shoal-${k}`, "127.0.0.2", 2000 + k)),
      );
    }
    await rec.settled();
    assert.ok(rec.passCount - before <= 2, `${rec.passCount - before} passes`);
    const names = (await client.serversState("be_app")).map((r) => r.name);
    assert.deepEqual(names, ["shoal-0", "shoal-1"]); // 100 % 7 === 2
  } finally {
    await rec.stop();
    await client.close();
  }
});

Deno.test("Reconciler ramps a new server's weight in steps up to the target", async () => {
  await using hap = await HaproxyProcess.start();
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  const rec = new Reconciler(client, {
    backends: ["be_app"],
    periodMs: 60_000,
    ramp: { durationMs: 400, stepMs: 100, weightMin: 1 },
  });
  try {
    await rec.start();
    rec.setDesired("be_app", [server("shoal-a", "127.0.0.2", 9, { weight: 40 })]);
    await rec.settled();
    const weights: number[] = [];
    await waitFor("the full weight", async () => {
      const w = (await client.serversState("be_app"))[0]?.uweight ?? 0;
      if (weights.at(-1) !== w) weights.push(w);
      return w === 40;
    }, { timeoutMs: 3000 });
    assert.equal(weights[0], 1);
    assert.ok(weights.length >= 3, `weights ${weights}`);
    assert.deepEqual([...weights].sort((x, y) => x - y), weights, "monotonic");
  } finally {
    await rec.stop();
    await client.close();
  }
});
