import { equal, ok } from "node:assert/strict";
import {
  HaproxyCommandError,
  HaproxyConnectionError,
  HaproxyError,
  StillHasConnectionsError,
} from "../../lib/haproxy/errors.ts";
import { RuntimeClient } from "../../lib/haproxy/client.ts";
import type { PassReport } from "../../lib/haproxy/pass.ts";
import type { DesiredServer, ObservedServer } from "../../lib/haproxy/plan.ts";
import { Reconciler } from "../../lib/haproxy/reconciler.ts";
import { type Logger, MemoryLogger } from "../../lib/log/logger.ts";
import { Registry } from "../../lib/metrics/registry.ts";
import { createSidecarMetrics } from "../../lib/metrics/sidecar_metrics.ts";
import { errorKind, SidecarMeter } from "../../lib/roles/sidecar/metrics.ts";
import { type Member, MemberStatus } from "../../lib/serf/members.ts";
import { HaproxyProcess, waitFor } from "../_support/haproxy.ts";
import { parsePromText } from "../_support/prom_text.ts";
import { systemClock } from "../../lib/clock.ts";

function setup() {
  let nowMs = 1000;
  const clock = { nowMs: () => nowMs };
  const registry = new Registry();
  const meter = new SidecarMeter(createSidecarMetrics(registry, { clock }), { clock });
  const value = (name: string, labels: Record<string, string> = {}) => {
    const families = parsePromText(registry.render());
    for (const f of families.values()) {
      for (const s of f.samples) {
        if (s.name !== name) continue;
        if (Object.entries(labels).every(([k, v]) => s.labels.get(k) === v)) return s.value;
      }
    }
    return undefined;
  };
  return { meter, value, advance: (ms: number) => (nowMs += ms) };
}

Deno.test("errorKind() classifies HAProxy errors by class", () => {
  const still = HaproxyCommandError.parse(
    "del server be/x",
    "Server still has connections attached to it, cannot remove it.",
  );
  ok(still instanceof StillHasConnectionsError);
  equal(errorKind(still), "still_has_connections");
  equal(errorKind(new HaproxyConnectionError("down")), "connection");
  equal(errorKind(new HaproxyCommandError("x", "odd")), "other");
  equal(errorKind(new HaproxyError("x")), "other");
});

Deno.test("SidecarMeter.commandResults() counts error kinds; any HAProxy answer is contact", () => {
  const { meter, value, advance } = setup();
  equal(meter.health(30_000).ok, false);
  meter.commandResults([{ ok: false, error: new HaproxyConnectionError("down") }]);
  equal(meter.health(30_000).reason, "waiting for HAProxy");
  equal(
    value("shoal_sidecar_haproxy_command_errors_total", { kind: "connection" }),
    undefined,
    "waiting for HAProxy to start is not an error",
  );
  meter.commandResults([
    { ok: true, value: "" },
    { ok: false, error: HaproxyCommandError.parse("del server be/x", "No such server.") },
  ]);
  meter.commandResults([{ ok: false, error: new HaproxyConnectionError("gone") }]);
  equal(value("shoal_sidecar_haproxy_command_errors_total", { kind: "connection" }), 1);
  equal(value("shoal_sidecar_haproxy_command_errors_total", { kind: "no_such_server" }), 1);
  equal(value("shoal_sidecar_haproxy_contact_age_seconds"), 0);
  ok(meter.health(30_000).ok);
  advance(31_000);
  ok(!meter.health(30_000).ok && meter.health(30_000).reason.includes("31 s"));
});

Deno.test("SidecarMeter.pass() and passFailed() count runs and servers from the pass report", () => {
  const { meter, value } = setup();
  const desired: DesiredServer = {
    name: "shoal-a",
    addr: "10.0.0.1",
    port: 80,
    weight: 1,
    state: "ready",
  };
  const report: PassReport = {
    plan: { steps: [{ kind: "add", backend: "web", server: desired }], waiting: [], ramping: 0 },
    outcomes: [{ step: { kind: "add", backend: "web", server: desired } }],
    restartDetected: false,
  };
  const observed: ObservedServer[] = [
    {
      name: "shoal-a",
      addr: "10.0.0.1",
      port: 80,
      uweight: 1,
      admin: "ready",
      checkConfigured: false,
      checkEnabled: false,
    },
  ];
  const view = { desired: () => [desired], observed: () => observed };
  meter.pass(report, view, ["web"], "shoal-");
  meter.passFailed();
  meter.passFailed();
  equal(value("shoal_sidecar_reconcile_runs_total", { result: "ok" }), 1);
  equal(value("shoal_sidecar_reconcile_runs_total", { result: "error" }), 2);
  equal(value("shoal_sidecar_servers", { backend: "web", state: "ready" }), 1);
  equal(value("shoal_sidecar_server_checks", { backend: "web", check: "unchecked" }), 1);
  equal(
    value("shoal_sidecar_drift_corrections_total", { backend: "web", action: "add" }),
    undefined,
    "an ordinary add is not drift",
  );
});

/** A logger that renames every event, as a refactoring of the log events might. */
function renaming(inner: Logger): Logger {
  const r = (e: string) => `renamed.${e}`;
  return {
    debug: (e, f) => inner.debug(r(e), f),
    info: (e, f) => inner.info(r(e), f),
    warn: (e, f) => inner.warn(r(e), f),
    error: (e, f) => inner.error(r(e), f),
    with: (f) => renaming(inner.with(f)),
  };
}

Deno.test("sidecar metrics follow the reconciler's observers, whatever its events are called", async () => {
  await using hap = await HaproxyProcess.start();
  const { meter, value } = setup();
  const log = new MemoryLogger();
  const client = new RuntimeClient({
    clock: systemClock,
    socketPath: hap.socketPath,
    onResults: (results) => meter.commandResults(results),
  });
  let stale = 0;
  const rec: Reconciler = new Reconciler(client, {
    backends: ["be_app"],
    logger: renaming(log),
    retryMs: 50,
    onPass: (report) => {
      if (rec.lastPass !== report) stale++;
      meter.pass(report, rec, ["be_app"], "shoal-");
    },
    onPassFailed: () => meter.passFailed(),
  });
  try {
    await rec.start();
    rec.setDesired("be_app", [
      { name: "shoal-a", addr: "127.0.0.2", port: 9, weight: 1, state: "ready" },
    ]);
    await rec.settled();
    await rec.reconcileOnce();
    equal(stale, 0, "onPass runs once the reconciler shows the pass it reports");
    equal(log.named("haproxy.reconcile.pass").length, 0);
    ok(log.named("renamed.haproxy.reconcile.pass").length >= 3, "the events were renamed");
    equal(value("shoal_sidecar_reconcile_runs_total", { result: "ok" }), rec.passCount);
    equal(value("shoal_sidecar_servers", { backend: "be_app", state: "ready" }), 1);
    ok(meter.health(30_000).ok, "contact comes from the client's onResults");
    await hap.stop();
    rec.trigger();
    await waitFor(
      "a failed pass counted",
      () => (value("shoal_sidecar_reconcile_runs_total", { result: "error" }) ?? 0) >= 1,
    );
    ok((value("shoal_sidecar_haproxy_command_errors_total", { kind: "connection" }) ?? 0) >= 1);
  } finally {
    await rec.stop();
    await client.close();
  }
});

Deno.test("SidecarMeter sets member and managed-server gauges and counts queries", () => {
  const { meter, value } = setup();
  const member = (name: string, status: MemberStatus): Member => ({
    name,
    addr: Uint8Array.of(10, 0, 0, 1),
    host: "10.0.0.1",
    port: 7946,
    tags: new Map(),
    status,
    vsn: [],
  });
  meter.members([
    member("a", MemberStatus.Alive),
    member("b", MemberStatus.Alive),
    member("c", MemberStatus.Failed),
  ]);
  equal(value("shoal_sidecar_members", { status: "alive" }), 2);
  equal(value("shoal_sidecar_members", { status: "failed" }), 1);
  equal(value("shoal_sidecar_members", { status: "left" }), 0);
  const server = {
    addr: "10.0.0.1",
    port: 80,
    uweight: 1,
    checkConfigured: true,
    checkEnabled: true,
  };
  meter.servers("web", [
    { ...server, name: "shoal-a", admin: "ready", opState: 2 },
    { ...server, name: "shoal-b", admin: "drain", opState: 0 },
    { ...server, name: "shoal-c", admin: "maint", opState: 0 },
    { ...server, name: "static-1", admin: "ready" },
  ], "shoal-");
  equal(value("shoal_sidecar_server_checks", { backend: "web", check: "up" }), 1);
  equal(value("shoal_sidecar_server_checks", { backend: "web", check: "down" }), 1);
  equal(value("shoal_sidecar_server_checks", { backend: "web", check: "unchecked" }), 0);
  equal(value("shoal_sidecar_servers", { backend: "web", state: "ready" }), 1);
  equal(value("shoal_sidecar_servers", { backend: "web", state: "drain" }), 1);
  equal(value("shoal_sidecar_servers", { backend: "web", state: "maint" }), 1);
  meter.query("announce", "accepted", 0.002);
  meter.query("announce", "rejected", 0);
  meter.solicitRound(0.5);
  meter.query("solicit", "accepted", 0.001); // an answer to the round, counted apart
  meter.query("solicit", "accepted", 0.001);
  equal(value("shoal_sidecar_solicit_answers_total", { result: "accepted" }), 2);
  equal(value("shoal_sidecar_queries_total", { query: "solicit", result: "accepted" }), 1);
  equal(value("shoal_sidecar_queries_total", { query: "announce", result: "accepted" }), 1);
  equal(value("shoal_sidecar_queries_total", { query: "announce", result: "rejected" }), 1);
  equal(value("shoal_sidecar_query_duration_seconds_count", { query: "solicit" }), 1);
  equal(value("shoal_sidecar_query_duration_seconds_count", { query: "announce" }), 2);
});
