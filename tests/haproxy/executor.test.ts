import assert from "node:assert/strict";
import { type Clock, systemClock } from "../../lib/clock.ts";
import {
  addServer,
  executePlan,
  HaproxyCommandError,
  type PlanStep,
  RuntimeClient,
  StillHasConnectionsError,
} from "../../lib/haproxy/mod.ts";
import { get, HaproxyProcess, startUpstream, type Upstream, waitFor } from "../_support/haproxy.ts";
import { VirtualClock } from "../_support/virtual_clock.ts";

/** The system clock, counting the pauses taken and running `onPause` before each. */
function pausingClock(onPause: () => void): Clock & { pauses: number } {
  const clock = {
    pauses: 0,
    nowMs: () => systemClock.nowMs(),
    setTimer(delayMs: number, fn: () => void) {
      clock.pauses++;
      onPause();
      return systemClock.setTimer(delayMs, fn);
    },
    clearTimer: (id: Parameters<Clock["clearTimer"]>[0]) => systemClock.clearTimer(id),
  };
  return clock;
}

/** The drained `shoal-a` deleted without cutting its sessions. */
const DELETE_A: PlanStep = {
  kind: "delete",
  backend: "be_app",
  name: "shoal-a",
  shutdownSessions: false,
  reason: "drained",
};

/** Adds `shoal-a` on `a` and holds one request on it; returns that request (wrapped, not awaited). */
async function busyServer(hap: HaproxyProcess, client: RuntimeClient, a: Upstream) {
  await addServer(client, { backend: "be_app", name: "shoal-a", addr: "127.0.0.2", port: a.port });
  const inFlight = get(hap.url("be_app", "/hold"));
  await waitFor("the request to reach a", () => a.held === 1);
  return { inFlight };
}

Deno.test("executePlan() retries a delete refused with StillHasConnectionsError until it succeeds", async () => {
  await using hap = await HaproxyProcess.start();
  const a = startUpstream("a", "127.0.0.2");
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  try {
    const { inFlight } = await busyServer(hap, client, a);
    // The first `del` is refused while the request is held; the request ends at the first pause.
    const clock = pausingClock(() => a.release());
    const [outcome] = await executePlan(client, [DELETE_A], {
      clock,
      deleteRetries: 40,
      deleteRetryDelayMs: 25,
    });
    assert.equal(outcome?.error, undefined);
    assert.ok(clock.pauses >= 1, "the first delete was refused and retried");
    assert.deepEqual(await inFlight, { status: 200, body: "a" }, "not cut: no shutdown asked");
    assert.deepEqual(await client.serversState("be_app"), []);
  } finally {
    await client.close();
    await a.close();
  }
});

Deno.test("executePlan() reports StillHasConnectionsError once delete retries run out", async () => {
  await using hap = await HaproxyProcess.start();
  const a = startUpstream("a", "127.0.0.2");
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  try {
    const { inFlight } = await busyServer(hap, client, a);
    const [outcome] = await executePlan(client, [DELETE_A], {
      clock: systemClock,
      deleteRetries: 2,
      deleteRetryDelayMs: 10,
    });
    assert.ok(outcome?.error instanceof StillHasConnectionsError, String(outcome?.error));
    const rows = await client.serversState("be_app");
    assert.deepEqual(rows.map((r) => `${r.name}:${r.admin}`), ["shoal-a:maint"]);
    a.release();
    assert.deepEqual(await inFlight, { status: 200, body: "a" });
  } finally {
    await client.close();
    await a.close();
  }
});

Deno.test("executePlan() skips delete retries still to come once its signal aborts", async () => {
  await using hap = await HaproxyProcess.start();
  const a = startUpstream("a", "127.0.0.2");
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  try {
    const { inFlight } = await busyServer(hap, client, a);
    // Virtual time never advances: without the abort this would wait out 40 pauses of a minute.
    const clock = new VirtualClock();
    const stop = new AbortController();
    const executed = executePlan(client, [DELETE_A], {
      clock,
      deleteRetries: 40,
      deleteRetryDelayMs: 60_000,
      signal: stop.signal,
    });
    await waitFor("the first retry pause", () => clock.pendingTimers === 1);
    stop.abort();
    const [outcome] = await executed;
    assert.ok(outcome?.error instanceof StillHasConnectionsError, String(outcome?.error));
    assert.equal(clock.nowMs(), 0, "no pause was waited out");
    assert.equal(clock.pendingTimers, 0);
    a.release();
    assert.deepEqual(await inFlight, { status: 200, body: "a" });
  } finally {
    await client.close();
    await a.close();
  }
});

Deno.test("executePlan() replace never puts the old server back in service", async () => {
  const a = startUpstream("a", "127.0.0.2");
  const b = startUpstream("b", "127.0.0.3");
  // `use-server` makes HAProxy refuse to delete shoal-a, every time: the replace's delete fails.
  await using hap = await HaproxyProcess.start({
    backends: [{
      name: "be_app",
      lines: [`server shoal-a 127.0.0.2:${a.port}`, "use-server shoal-a if { path_beg /never }"],
    }],
  });
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  try {
    assert.deepEqual(await get(hap.url()), { status: 200, body: "a" });
    const step: PlanStep = {
      kind: "replace",
      backend: "be_app",
      server: { name: "shoal-a", addr: "127.0.0.3", port: b.port, weight: 1, state: "ready" },
      reason: "addr",
    };
    const [outcome] = await executePlan(client, [step], { clock: systemClock });
    assert.ok(outcome?.error instanceof HaproxyCommandError, String(outcome?.error));
    assert.match(outcome.error.reply, /cannot be removed/);
    const rows = await client.serversState("be_app");
    assert.deepEqual(rows.map((r) => [r.addr, r.admin]), [["127.0.0.2", "maint"]], "old one out");
    assert.equal((await get(hap.url())).status, 503, "and not back in service");
  } finally {
    await client.close();
    await a.close();
    await b.close();
  }
});
