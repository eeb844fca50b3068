import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { type AnnouncingMember, Registry } from "../../lib/roles/sidecar/registry.ts";

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
  deepStrictEqual(v, { accepted: true, server: "shoal-t1", backend: "web" });
  deepStrictEqual(r.desired().get("web"), [
    {
      name: "shoal-t1",
      addr: "10.0.0.7",
      port: 8080,
      weight: 100,
      state: "ready",
      check: { interMs: 1000 },
    },
  ]);
  deepStrictEqual(r.desired().get("api"), []);
});

Deno.test("Registry.announce() takes no backend and the Go shoal's <none_backend> as the default", () => {
  const r = new Registry(OPTS);
  for (const [node, backend] of [["t1", ""], ["go-1", "<none_backend>"]]) {
    const v = r.announce(alive(node!), { ...ready, backend: backend! }, 0);
    deepStrictEqual(v, { accepted: true, server: `shoal-${node}`, backend: "web" });
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
