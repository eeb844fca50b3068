import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { serverIdFor } from "../../lib/haproxy/names.ts";
import { type AnnouncingMember, Registry } from "../../lib/roles/sidecar/registry.ts";
import { ANNOUNCED_WEIGHT_MIN, validateWeight, WEIGHT_MAX } from "../../lib/haproxy/validate.ts";

const OPTS = {
  prefix: "shoal-",
  defaultBackend: "web",
  backends: ["web", "api"],
  defaultWeight: 100,
  slowstartMs: 0,
  check: { interMs: 1000 },
  orphanGraceMs: 30_000,
};
const alive = (name: string, host = "10.0.0.7"): AnnouncingMember => ({
  name,
  host,
  status: "alive",
});
const ready = { port: 8080, backend: "", state: "ready" };

Deno.test("Registry.announce() registers the gossip address, never the payload's", () => {
  const r = new Registry(OPTS);
  const v = r.announce(alive("t1", "10.0.0.7"), { ...ready, backend: "web" }, 0);
  deepStrictEqual(v, { accepted: true, server: "shoal-t1", backend: "web", changed: true });
  deepStrictEqual(r.desired().get("web"), [
    {
      name: "shoal-t1",
      addr: "10.0.0.7",
      port: 8080,
      weight: 100,
      state: "ready",
      check: { interMs: 1000 },
      id: serverIdFor("shoal-t1"),
    },
  ]);
  deepStrictEqual(r.desired().get("api"), []);
});

Deno.test("Registry.announce() takes no backend and the Go shoal's <none_backend> as the default", () => {
  const r = new Registry(OPTS);
  for (const [node, backend] of [["t1", ""], ["go-1", "<none_backend>"]]) {
    const v = r.announce(alive(node!), { ...ready, backend: backend! }, 0);
    deepStrictEqual(v, {
      accepted: true,
      server: `shoal-${node}`,
      backend: "web",
      changed: true,
    });
  }
  deepStrictEqual(r.desired().get("web")?.map((s) => s.name), ["shoal-t1", "shoal-go-1"]);
  const other = r.announce(alive("t2"), { ...ready, backend: "<other_backend>" }, 0);
  equal(other.accepted, false, "only the Go shoal's literal is special");
});

Deno.test("Registry.announce() refuses unknown or dead members, bad ports and foreign backends", () => {
  const r = new Registry(OPTS);
  const reasons = [
    r.announce(undefined, ready, 0),
    r.announce({ name: "t", host: "10.0.0.1", status: "failed" }, ready, 0),
    r.announce(alive("t"), { ...ready, port: 0 }, 0),
    r.announce(alive("t"), { ...ready, port: 70000 }, 0),
    r.announce(alive("t"), { ...ready, backend: "db" }, 0),
    r.announce(alive("t"), { ...ready, weight: 999 }, 0),
  ].map((v) => (v.accepted ? "accepted" : v.reason));
  ok(reasons[0]!.includes("not a known cluster member"));
  ok(reasons[1]!.includes("failed"));
  ok(reasons[2]!.includes("port 0"));
  ok(reasons[3]!.includes("70000"));
  ok(reasons[4]!.includes('"db"') && reasons[4]!.includes("web, api"));
  ok(reasons[5]!.includes("weight 999"));
  deepStrictEqual(r.desired().get("web"), []);
});

Deno.test("Registry drains on non-ready announce, depart and leave; removes on failure", () => {
  const r = new Registry(OPTS);
  r.announce(alive("t1"), ready, 0);
  r.announce(alive("t2", "10.0.0.8"), ready, 0);
  r.announce(alive("t3", "10.0.0.9"), ready, 0);
  r.announce(alive("t1"), { ...ready, state: "unhealthy" }, 1);
  deepStrictEqual(r.depart("t2"), ["web/shoal-t2"]);
  r.memberFailed("t3");
  const states = Object.fromEntries(r.desired().get("web")!.map((s) => [s.name, s.state]));
  deepStrictEqual(states, { "shoal-t1": "drain", "shoal-t2": "drain" });
  r.announce(alive("t1"), ready, 2);
  equal(r.desired().get("web")!.find((s) => s.name === "shoal-t1")!.state, "ready");
  r.forgetDrained("web", new Set(["shoal-t1"]));
  deepStrictEqual(r.desired().get("web")!.map((s) => s.name), ["shoal-t1"]);
});

Deno.test("Registry takes announced weights 1 to WEIGHT_MAX; HAProxy commands also take 0", () => {
  const r = new Registry(OPTS);
  for (const weight of [0, WEIGHT_MAX + 1, 1.5]) {
    const v = r.announce(alive("t1"), { ...ready, weight }, 0);
    ok(!v.accepted && v.reason === `weight ${weight} is outside 1-${WEIGHT_MAX}`, String(weight));
  }
  for (const weight of [ANNOUNCED_WEIGHT_MIN, WEIGHT_MAX]) {
    ok(r.announce(alive("t1"), { ...ready, weight }, 0).accepted, String(weight));
  }
  equal(validateWeight(0), 0, "a command may set weight 0");
});

Deno.test("Registry moves a task between backends by draining the old server", () => {
  const r = new Registry(OPTS);
  r.announce(alive("t1"), { ...ready, backend: "web" }, 0);
  r.announce(alive("t1"), { ...ready, backend: "api" }, 1);
  equal(r.desired().get("web")![0]!.state, "drain");
  equal(r.desired().get("api")![0]!.state, "ready");
});

Deno.test("Registry keeps adopted servers for the grace period unless a task claims them", () => {
  const r = new Registry(OPTS);
  const old = {
    name: "shoal-t9",
    addr: "10.0.0.9",
    port: 9000,
    weight: 100,
    state: "ready" as const,
  };
  r.adopt("web", [old, { ...old, name: "shoal-t1" }], 1000);
  r.announce(alive("t1"), ready, 2000);
  deepStrictEqual(r.expireOrphans(30_999), []);
  deepStrictEqual(r.expireOrphans(31_000), ["web/shoal-t9"]);
  deepStrictEqual(r.desired().get("web")!.map((s) => s.name), ["shoal-t1"]);
});

Deno.test("Registry: with a zone, other zones' tasks (and untagged ones) are backup servers", () => {
  const r = new Registry({ ...OPTS, zone: "a" });
  r.announce({ ...alive("t-a"), zone: "a" }, ready, 0);
  r.announce({ ...alive("t-b", "10.0.0.8"), zone: "b" }, ready, 0);
  r.announce(alive("t-none", "10.0.0.9"), ready, 0);
  const backup = new Map(r.desired().get("web")!.map((s) => [s.name, s.backup === true]));
  deepStrictEqual(
    backup,
    new Map([["shoal-t-a", false], ["shoal-t-b", true], ["shoal-t-none", true]]),
  );
  const plain = new Registry(OPTS);
  plain.announce({ ...alive("t-b"), zone: "b" }, ready, 0);
  equal(plain.desired().get("web")![0]!.backup, undefined, "no --zone: all alike");
});

Deno.test("Registry: per-backend server options go to that backend's servers only", () => {
  const r = new Registry({ ...OPTS, serverOptions: new Map([["api", ["send-proxy-v2"]]]) });
  r.announce(alive("t1"), { ...ready, backend: "api" }, 0);
  r.announce(alive("t2", "10.0.0.8"), ready, 0);
  deepStrictEqual(r.desired().get("api")![0]!.options, ["send-proxy-v2"]);
  equal(r.desired().get("web")![0]!.options, undefined);
  // Ids are the name's, the same on every sidecar.
  equal(r.desired().get("api")![0]!.id, serverIdFor("shoal-t1"));
});

Deno.test("Registry.announce() tells a re-announce that changes nothing from one that does", () => {
  const r = new Registry(OPTS);
  const changed = (req: typeof ready, host = "10.0.0.7", nowMs = 0) => {
    const v = r.announce(alive("t1", host), req, nowMs);
    ok(v.accepted);
    return v.changed;
  };
  equal(changed(ready), true, "first announce");
  equal(changed(ready, "10.0.0.7", 5), false, "the same again (a solicit answer)");
  equal(changed({ ...ready, port: 9090 }), true, "new port");
  equal(changed({ ...ready, port: 9090 }), false);
  equal(changed({ ...ready, port: 9090 }, "10.0.0.8"), true, "new address");
  equal(changed({ ...ready, port: 9090, state: "draining" }, "10.0.0.8", 7), true, "drain");
  equal(changed({ ...ready, port: 9090, state: "draining" }, "10.0.0.8", 9), false, "still");
  equal(r.desired().get("web")?.[0]?.state, "drain");
  equal(changed({ ...ready, port: 9090, backend: "api" }, "10.0.0.8"), true, "other backend");
  equal(changed({ ...ready, port: 9090, backend: "api" }, "10.0.0.8"), false);
  // An adopted server a task claims again is a change (its orphan deadline goes).
  r.adopt("web", [{
    name: "shoal-t2",
    addr: "10.0.0.9",
    port: 8080,
    weight: 100,
    state: "ready",
    id: serverIdFor("shoal-t2"),
  }], 0);
  const v = r.announce(alive("t2", "10.0.0.9"), ready, 1);
  ok(v.accepted && v.changed === true);
});
