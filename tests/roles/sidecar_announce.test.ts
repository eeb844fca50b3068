import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { handleAnnounce, memberView, REASON_LENGTH_MAX } from "../../lib/roles/sidecar/announce.ts";
import { adoptedServers } from "../../lib/roles/sidecar/adopt.ts";
import { backoffDelayMs } from "../../lib/roles/backoff.ts";
import { applyMemberEvent } from "../../lib/roles/sidecar/member_events.ts";
import { Registry } from "../../lib/roles/sidecar/registry.ts";
import { serverIdFor } from "../../lib/haproxy/names.ts";
import {
  AnnounceRequestSchema,
  AnnounceResponseSchema,
  decodePayload,
  encodePayload,
} from "../../lib/proto.ts";
import { type Member, MemberStatus } from "../../lib/serf/members.ts";

const OPTS = {
  prefix: "shoal-",
  defaultBackend: "web",
  backends: ["web", "api"],
  defaultWeight: 100,
  slowstartMs: 0,
  check: { interMs: 1000, rise: 1, fall: 2 },
  orphanGraceMs: 30_000,
};

function member(name: string, host: string, status = MemberStatus.Alive): Member {
  return {
    name,
    addr: Uint8Array.of(...host.split(".").map(Number)),
    host,
    port: 7946,
    tags: new Map([["role", "task"]]),
    status,
    vsn: [1, 5, 2, 2, 5, 4],
  };
}

/** The announce path of the sidecar: the sender looked up in a serf member list. */
function announceFrom(registry: Registry, members: Member[], from: string, payload: Uint8Array) {
  const view = memberView(members.find((m) => m.name === from));
  const out = handleAnnounce(registry, view, payload, 0);
  return { out, response: decodePayload(AnnounceResponseSchema, out.response) };
}

const announce = (fields: { port: number; backend?: string; state?: string; weight?: number }) =>
  encodePayload(AnnounceRequestSchema, { backend: "", state: "ready", ...fields });

Deno.test("handleAnnounce() registers an alive member at its gossip address and answers accepted", () => {
  const registry = new Registry(OPTS);
  const members = [member("task-1", "10.0.0.7"), member("task-2", "10.0.0.8")];
  const { out, response } = announceFrom(registry, members, "task-2", announce({ port: 8080 }));
  equal(out.host, "10.0.0.8");
  equal(response.accepted, true);
  equal(response.server, "shoal-task-2");
  equal(response.backend, "web");
  equal(response.reason, "");
  const [server] = registry.desired().get("web")!;
  deepStrictEqual([server!.addr, server!.port, server!.state], ["10.0.0.8", 8080, "ready"]);
});

Deno.test("handleAnnounce() refuses senders missing from, or not alive in, the member list", () => {
  const registry = new Registry(OPTS);
  const members = [member("gone", "10.0.0.9", MemberStatus.Left)];
  const unknown = announceFrom(registry, members, "stranger", announce({ port: 8080 }));
  equal(unknown.response.accepted, false);
  ok(unknown.response.reason.includes("not a known cluster member"));
  const left = announceFrom(registry, members, "gone", announce({ port: 8080 }));
  equal(left.response.accepted, false);
  ok(left.response.reason.includes("left"));
  equal(left.response.server, undefined);
  deepStrictEqual(registry.desired().get("web"), []);
});

Deno.test("handleAnnounce() refuses bad ports, foreign backends and undecodable payloads", () => {
  const registry = new Registry(OPTS);
  const members = [member("t", "10.0.0.7")];
  const port = announceFrom(registry, members, "t", announce({ port: 0 }));
  ok(!port.response.accepted && port.response.reason.includes("port 0"));
  const big = announceFrom(registry, members, "t", announce({ port: 65536 }));
  ok(!big.response.accepted && big.response.reason.includes("65536"));
  const foreign = announceFrom(registry, members, "t", announce({ port: 80, backend: "db" }));
  ok(!foreign.response.accepted && foreign.response.reason.includes('"db"'));
  const junk = announceFrom(registry, members, "t", Uint8Array.of(0xff, 0xff, 0xff));
  equal(junk.out.request, undefined);
  ok(!junk.response.accepted && junk.response.reason.includes("AnnounceRequest"));
  deepStrictEqual(registry.desired().get("web"), []);
});

Deno.test("handleAnnounce() cuts a long refusal reason below serf's response limit", () => {
  const registry = new Registry(OPTS);
  const payload = announce({ port: 80, backend: "x".repeat(900) });
  const { out, response } = announceFrom(registry, [member("t", "10.0.0.7")], "t", payload);
  equal(response.reason.length, REASON_LENGTH_MAX);
  ok(out.response.length < 1024);
});

Deno.test("handleAnnounce() refuses a gossip address that is not an IP literal", () => {
  const registry = new Registry(OPTS);
  const view = { name: "t", host: "task.example", status: "alive" as const };
  const out = handleAnnounce(registry, view, announce({ port: 80 }), 0);
  ok(!out.verdict.accepted && out.verdict.reason.includes("task.example"));
});

Deno.test("handleAnnounce() with a non-ready state drains the task's server", () => {
  const registry = new Registry(OPTS);
  const members = [member("t", "10.0.0.7")];
  announceFrom(registry, members, "t", announce({ port: 80 }));
  const { response } = announceFrom(
    registry,
    members,
    "t",
    announce({ port: 80, state: "unhealthy" }),
  );
  equal(response.accepted, true);
  equal(registry.desired().get("web")![0]!.state, "drain");
  ok(registry.hasDraining());
});

Deno.test("applyMemberEvent() drains on leave, removes on failure, forgets on reap", () => {
  const registry = new Registry(OPTS);
  const alive = (n: string) => ({ name: n, host: "10.0.0.1", status: "alive" as const });
  for (const n of ["a", "b", "c"]) {
    registry.announce(alive(n), { port: 80, backend: "", state: "ready" }, 0);
  }
  const left = applyMemberEvent(registry, {
    type: "member-leave",
    members: [member("a", "10.0.0.1")],
  }, 5);
  deepStrictEqual(left, [{ node: "a", action: "drain", keys: ["web/shoal-a"] }]);
  const failed = applyMemberEvent(registry, {
    type: "member-failed",
    members: [member("b", "10.0.0.1")],
  }, 6);
  deepStrictEqual(failed, [{ node: "b", action: "remove", keys: ["web/shoal-b"] }]);
  const reaped = applyMemberEvent(registry, {
    type: "member-reap",
    members: [member("a", "10.0.0.1")],
  }, 7);
  deepStrictEqual(reaped, [{ node: "a", action: "forget", keys: ["web/shoal-a"] }]);
  deepStrictEqual(
    applyMemberEvent(registry, { type: "member-join", members: [member("d", "10.0.0.4")] }, 8),
    [],
  );
  deepStrictEqual(registry.desired().get("web")!.map((s) => [s.name, s.state]), [[
    "shoal-c",
    "ready",
  ]]);
});

Deno.test("Registry.forgetDrained() keeps drains that began after the observation", () => {
  const registry = new Registry(OPTS);
  registry.announce({ name: "t", host: "10.0.0.1", status: "alive" }, {
    port: 80,
    backend: "",
    state: "ready",
  }, 0);
  registry.depart("t", 100);
  deepStrictEqual(registry.forgetDrained("web", new Set(), 100), []);
  deepStrictEqual(registry.forgetDrained("web", new Set(["shoal-t"]), 101), []);
  deepStrictEqual(registry.forgetDrained("web", new Set(), 101), ["web/shoal-t"]);
  equal(registry.hasDraining(), false);
});

Deno.test("adoptedServers() keeps HAProxy's servers as they are, checks included", () => {
  const base = { addr: "10.0.0.7", port: 80, uweight: 50, checkEnabled: true };
  const adopted = adoptedServers([
    { ...base, name: "shoal-a", admin: "ready", checkConfigured: true },
    { ...base, name: "shoal-b", admin: "drain", checkConfigured: false },
    { ...base, name: "shoal-c", admin: "maint", checkConfigured: true },
  ], OPTS.check);
  deepStrictEqual(adopted.map((s) => [s.name, s.state, s.weight, s.check !== undefined]), [
    ["shoal-a", "ready", 50, true],
    ["shoal-b", "drain", 50, false],
    ["shoal-c", "drain", 50, true],
  ]);
});

Deno.test("Registry adopts servers, orphans expire at the grace deadline, claims end the grace", () => {
  const registry = new Registry(OPTS);
  const found = adoptedServers([
    {
      name: "shoal-a",
      addr: "10.0.0.7",
      port: 80,
      admin: "ready",
      uweight: 100,
      checkConfigured: true,
      checkEnabled: true,
    },
    {
      name: "shoal-b",
      addr: "10.0.0.8",
      port: 80,
      admin: "ready",
      uweight: 100,
      checkConfigured: true,
      checkEnabled: true,
    },
  ], OPTS.check);
  registry.adopt("web", found, 1000);
  equal(registry.nextOrphanDeadlineMs(), 31_000);
  registry.announce({ name: "a", host: "10.0.0.7", status: "alive" }, {
    port: 80,
    backend: "",
    state: "ready",
  }, 1500);
  equal(registry.nodeOf("web/shoal-a"), "a");
  deepStrictEqual(registry.expireOrphans(31_000), ["web/shoal-b"]);
  equal(registry.nextOrphanDeadlineMs(), undefined);
  // The claimed server is unchanged but for its id (which the plan never compares), so the
  // reconciler has nothing to replace.
  deepStrictEqual(registry.desired().get("web"), [{ ...found[0], id: serverIdFor("shoal-a") }]);
});

Deno.test("backoffDelayMs() doubles up to the cap with jitter in [step/2, step)", () => {
  const opts = { baseMs: 100, maxMs: 2000 };
  deepStrictEqual([0, 1, 2, 3, 4, 5, 9].map((a) => backoffDelayMs(a, opts, () => 0.999999)), [
    99,
    199,
    399,
    799,
    1599,
    1999,
    1999,
  ]);
  equal(backoffDelayMs(3, opts, () => 0), 400);
});
