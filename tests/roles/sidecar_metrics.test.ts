import { equal, ok } from "node:assert/strict";
import {
  HaproxyCommandError,
  HaproxyConnectionError,
  HaproxyError,
  StillHasConnectionsError,
} from "../../lib/haproxy/errors.ts";
import { MemoryLogger } from "../../lib/log/logger.ts";
import { Registry } from "../../lib/metrics/registry.ts";
import { createSidecarMetrics } from "../../lib/metrics/sidecar_metrics.ts";
import { errorKind, SidecarMeter } from "../../lib/roles/sidecar/metrics.ts";
import { type Member, MemberStatus } from "../../lib/serf/members.ts";
import { parsePromText } from "../_support/prom_text.ts";

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

Deno.test("SidecarMeter.reconcilerLogger() forwards events and counts runs", () => {
  const { meter, value } = setup();
  const log = new MemoryLogger();
  let passes = 0;
  const tee = meter.reconcilerLogger(log, () => passes++).with({ node: "s" });
  tee.info("haproxy.server.add", { backend: "web", server: "shoal-a", step: "add" });
  tee.info("haproxy.server.drain", { backend: "web", server: "shoal-a", step: "drain" });
  tee.debug("haproxy.reconcile.pass", { steps: 2 });
  tee.warn("haproxy.reconcile.failed", { error: "down" });
  tee.info("haproxy.server.adopted", { backend: "web" }); // not a plan step
  equal(log.records.length, 5);
  equal(log.records[0]!.fields.node, "s");
  equal(passes, 1);
  equal(value("shoal_sidecar_reconcile_runs_total", { result: "ok" }), 1);
  equal(value("shoal_sidecar_reconcile_runs_total", { result: "error" }), 1);
  equal(
    value("shoal_sidecar_drift_corrections_total", { backend: "web", action: "add" }),
    undefined,
    "an ordinary add is not drift",
  );
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
