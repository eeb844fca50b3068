import assert from "node:assert/strict";
import {
  HaproxyProtocolError,
  parseInfo,
  parseServersState,
  parseStat,
  parseVersion,
  versionAtLeast,
} from "../../lib/haproxy/mod.ts";

const fixtures = new URL("../fixtures/haproxy/", import.meta.url);
const read = (name: string) => Deno.readTextFile(new URL(name, fixtures));

Deno.test("parseServersState() reads the captured reply by header names", async () => {
  const rows = parseServersState(await read("show_servers_state.txt"));
  const byName = new Map(rows.map((r) => [r.name, r]));
  assert.deepEqual([...byName.keys()], ["shoal-ready", "shoal-drain", "shoal-maint"]);
  const ready = byName.get("shoal-ready")!;
  assert.equal(ready.backend, "be_app");
  assert.equal(ready.admin, "ready");
  assert.equal(ready.uweight, 10);
  assert.equal(ready.addr, "127.0.0.2");
  assert.equal(ready.checkState & 0x06, 0x06, "check configured and enabled");
  assert.equal(byName.get("shoal-drain")!.admin, "drain");
  assert.equal(byName.get("shoal-drain")!.adminState, 8);
  const maint = byName.get("shoal-maint")!;
  assert.equal(maint.admin, "maint");
  assert.equal(maint.addr, "::1");
  assert.equal(maint.uweight, 3);
  assert.equal(maint.port, ready.port);
});

Deno.test("parseServersState() reads every backend of the captured multi-backend reply", async () => {
  const rows = parseServersState(await read("show_servers_state_all.txt"));
  assert.deepEqual(rows.map((r) => `${r.backend}/${r.name}:${r.admin}`), [
    "be_app/shoal-ready:ready",
    "be_app/shoal-drain:drain",
    "be_app/shoal-maint:maint",
    "be_static/static1:maint",
    "be_other/shoal-other:ready",
  ]);
  const statik = rows.find((r) => r.name === "static1")!;
  assert.equal(statik.adminState, 5, "configured `disabled` is FMAINT|CMAINT");
  assert.equal(rows.find((r) => r.name === "shoal-other")!.uweight, 2);
});

Deno.test("parseServersState() finds columns by name when their order changes", () => {
  const text = "1\n# srv_port srv_name be_name srv_addr srv_op_state srv_admin_state srv_uweight " +
    "srv_iweight srv_check_state srv_id extra\n8080 s1 be 10.0.0.1 2 5 7 7 0 4 zz\n\n";
  const [row] = parseServersState(text);
  assert.equal(row?.port, 8080);
  assert.equal(row?.name, "s1");
  assert.equal(row?.admin, "maint");
});

Deno.test("parseServersState() refuses unknown format versions and missing columns", () => {
  assert.throws(() => parseServersState("2\n# be_name\n"), HaproxyProtocolError);
  assert.throws(() => parseServersState("1\n# be_name srv_name\nbe s\n"), HaproxyProtocolError);
  assert.throws(() => parseServersState("1\nno header\n"), HaproxyProtocolError);
});

Deno.test("parseStat() maps CSV columns by header name", async () => {
  const rows = parseStat(await read("show_stat_backend.txt"));
  const ready = rows.find((r) => r.service === "shoal-ready")!;
  assert.equal(ready.proxy, "be_app");
  assert.equal(ready.kind, "server");
  const backend = rows.find((r) => r.service === "BACKEND")!;
  assert.equal(backend.kind, "backend", "`show stat B 6 -1` includes the backend line");
  assert.equal(backend.qcur, 0);
  assert.equal(ready.status, "UP");
  assert.equal(ready.scur, 0);
  assert.equal(ready.fields.get("uweight"), "10");
  assert.equal(rows.find((r) => r.service === "shoal-drain")!.status, "DRAIN");
  assert.equal(rows.find((r) => r.service === "shoal-maint")!.status, "MAINT");
  const all = parseStat(await read("show_stat.txt"));
  assert.ok(all.some((r) => r.service === "FRONTEND"));
  assert.ok(all.some((r) => r.proxy === "be_static" && r.service === "BACKEND"));
  assert.throws(() => parseStat("pxname,svname\n"), HaproxyProtocolError);
});

Deno.test("parseInfo() reads the process identity from the captured reply", async () => {
  const info = parseInfo(await read("show_info.txt"));
  assert.ok(info.pid > 0);
  assert.ok(info.startTimeSec > 1_600_000_000);
  assert.equal(info.stopping, false);
  assert.match(info.version, /^2\.6\./);
  assert.throws(() => parseInfo("Name: HAProxy\n"), HaproxyProtocolError);
});

Deno.test("parseVersion() reads `show version` and compares versions", async () => {
  const v = parseVersion(await read("show_version.txt"));
  assert.deepEqual([v.major, v.minor, v.patch], [2, 6, 12]);
  assert.equal(v.raw, "2.6.12-1+deb12u4");
  assert.ok(versionAtLeast(v, 2, 6));
  assert.ok(!versionAtLeast(v, 3, 0));
  assert.ok(!versionAtLeast(parseVersion("2.4.22"), 2, 6));
  assert.throws(() => parseVersion("HAProxy"), HaproxyProtocolError);
});
