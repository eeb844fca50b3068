import { deepStrictEqual, equal, notDeepStrictEqual, ok } from "node:assert/strict";
import { envName, type FlagSpec } from "../../lib/cli/flags.ts";
import { commandFlags, parseCommandLine, type ParseResult } from "../../lib/cli/program.ts";
import type { Config, GossipConfig } from "../../lib/config.ts";

/** Parses as `shoal` would, with `SHOAL_INSECURE=1` unless `env` says otherwise. */
function parse(args: string[], env: Record<string, string> = {}): ParseResult {
  const vars: Record<string, string> = { SHOAL_INSECURE: "1", ...env };
  return parseCommandLine(args, {
    env: (name) => vars[name] || undefined,
    hostname: () => "host-1",
  });
}

function config(args: string[], env: Record<string, string> = {}): Config {
  const r = parse(args, env);
  if (r.kind !== "run") throw new Error(`expected a config, got exit ${r.code}: ${r.stderr}`);
  return r.config;
}

function gossipOf(c: Config): GossipConfig {
  if (!("gossip" in c)) throw new Error(`${c.role} has no gossip config`);
  return c.gossip;
}

function usage(args: string[], env: Record<string, string> = {}): string {
  const r = parse(args, env);
  if (r.kind !== "exit") throw new Error(`expected a usage error, got ${JSON.stringify(r)}`);
  equal(r.code, 2, r.stderr);
  equal(r.stdout, "");
  equal(r.stderr.trimEnd().split("\n").length, 1, `one line: ${r.stderr}`);
  return r.stderr;
}

/** A valid, non-default value for every flag, as typed on the command line. */
function sample(spec: FlagSpec): string {
  const byName: Record<string, string> = {
    node: "node-7",
    encrypt: btoa("k".repeat(32)),
    "log-level": "debug",
    "log-format": "json",
    profile: "wan",
    format: "json",
    ready: "notify",
    health: "http:/healthz",
    "haproxy-backend": "api",
    backends: "api,web",
    "server-prefix": "sh-",
    "server-options": "shoal=send-proxy-v2 alpn h2,http/1.1",
    worker: "python3",
    "join-srv": "_shoal._tcp.example",
    status: "alive",
    name: "task-.*",
  };
  if (byName[spec.name]) return byName[spec.name]!;
  switch (spec.kind) {
    case "duration":
      return "42s";
    case "int":
      return "7";
    case "hostport":
      return "127.0.0.9:9999";
    case "list":
      return "127.0.0.5:7000";
    case "tags":
      return "zone=b";
    case "bool":
      return "true";
    default:
      return "value-x";
  }
}

const COMMANDS: [string, readonly FlagSpec[], string[]][] = [
  ["agent", commandFlags("agent"), []],
  ["sidecar", commandFlags("sidecar"), []],
  ["task", commandFlags("task"), ["--join", "10.0.0.1"]],
  ["members", commandFlags("members"), []],
];

Deno.test("parseCommandLine() reads every flag from its SHOAL_* variable exactly as from the flag", () => {
  let checked = 0;
  for (const [command, specs, base] of COMMANDS) {
    const rest = command === "task" ? ["--", "python3", "w.py"] : [];
    // sidecar and task start only with a key (or --insecure): the baseline has one
    const keyed = command === "sidecar" || command === "task";
    const key = keyed ? ["--encrypt", btoa("e".repeat(16))] : [];
    const baseline = config([command, ...base, ...key, ...rest], { SHOAL_INSECURE: "" });
    for (const spec of specs) {
      if (spec.name === "join" && command === "task") continue; // required: in the baseline
      if (spec.name === "worker") continue; // exclusive with `--`; covered below
      if (spec.env === false) continue; // reads no variable; tests/cli/operator.test.ts
      const value = sample(spec);
      const flagArgs = spec.kind === "bool" ? [`--${spec.name}`] : [`--${spec.name}`, value];
      const secure = spec.name === "encrypt" ? [] : key;
      const fromFlag = config([command, ...base, ...secure, ...flagArgs, ...rest], {
        SHOAL_INSECURE: "",
      });
      const fromEnv = config([command, ...base, ...secure, ...rest], {
        SHOAL_INSECURE: "",
        [envName(spec.name)]: value,
      });
      deepStrictEqual(fromEnv, fromFlag, `${command} ${envName(spec.name)}`);
      notDeepStrictEqual(fromFlag, baseline, `${command} --${spec.name} changes the config`);
      checked++;
    }
  }
  ok(checked > 60, `checked ${checked} flags`);
});

Deno.test("parseCommandLine() lets a flag beat its environment variable", () => {
  const c = config(["agent", "--node", "from-flag"], { SHOAL_NODE: "from-env" });
  ok(c.role === "agent");
  equal(c.gossip.node, "from-flag");
});

Deno.test("parseCommandLine() takes the worker from --, --worker or SHOAL_WORKER", () => {
  const a = config(["task", "--join", "h", "--", "python3", "-m", "http.server", "{port}"]);
  const b = config([
    "task",
    "--join",
    "h",
    "--worker",
    "python3",
    "--worker",
    "-m",
    "--worker",
    "http.server",
    "--worker",
    "{port}",
  ]);
  const c = config(["task", "--join", "h"], { SHOAL_WORKER: "python3 -m http.server {port}" });
  for (const x of [a, b, c]) {
    ok(x.role === "task");
    deepStrictEqual(x.worker, ["python3", "-m", "http.server", "{port}"]);
  }
  ok(usage(["task", "--join", "h", "--worker", "a", "--", "b"]).includes("not both"));
  const go = config(["task", "--join", "h", "--worker", "python3", "server.py"]);
  ok(go.role === "task");
  deepStrictEqual(go.worker, ["python3", "server.py"], "the Go shoal's own example");
  const cliBeatsEnv = config(["task", "--join", "h", "--", "./api"], { SHOAL_WORKER: "a b" });
  ok(cliBeatsEnv.role === "task");
  deepStrictEqual(cliBeatsEnv.worker, ["./api"]);
});

Deno.test("parseCommandLine() splits --join on commas, repeats, and defaults the port to 7946", () => {
  const c = config(["agent", "--join", "10.0.0.1,10.0.0.2:8000", "--join", "[::1]"]);
  ok(c.role === "agent");
  deepStrictEqual(c.gossip.join, ["10.0.0.1:7946", "10.0.0.2:8000", "[::1]:7946"]);
  const e = config(["agent"], { SHOAL_JOIN: "a.example, b.example:1" });
  ok(e.role === "agent");
  deepStrictEqual(e.gossip.join, ["a.example:7946", "b.example:1"]);
});

Deno.test("parseCommandLine() returns frozen configs with defaults filled in", () => {
  const c = config(["sidecar"]);
  ok(c.role === "sidecar");
  ok(Object.isFrozen(c) && Object.isFrozen(c.gossip) && Object.isFrozen(c.backends));
  equal(c.gossip.node, "host-1");
  deepStrictEqual(c.gossip.bind, { host: "0.0.0.0", port: 7946 });
  deepStrictEqual(c.gossip.rpcAddr, { host: "127.0.0.1", port: 7373 });
  equal(c.haproxySocket, "/var/run/haproxy/admin.sock");
  deepStrictEqual(c.backends, ["shoal"]);
  equal(c.solicitIntervalMs, 30_000);
  equal(c.gossip.reconnectTimeoutMs, 600_000);
  const t = config(["task", "--join", "h", "--", "w"]);
  ok(t.role === "task");
  equal(t.gossip.rpcAddr, null, "tasks run no RPC server unless asked");
  ok(t.drainTimeoutMs + t.killTimeoutMs < 30_000, "the stop fits ECS's 30s stop timeout");
  const off = config(["agent", "--rpc-addr", ""]);
  ok(off.role === "agent");
  equal(off.gossip.rpcAddr, null);
});

Deno.test("parseCommandLine() reports usage errors in one line naming the flag, exit 2", () => {
  ok(usage(["task", "--jion", "x"]).includes("unknown flag --jion (did you mean --join?)"));
  ok(usage(["agent", "--join"]).includes("flag --join needs a value"));
  ok(
    usage(["task", "--join", "h", "--drain-timeout", "5x", "--", "w"]).includes("--drain-timeout"),
  );
  const env = usage(["task", "--join", "h", "--", "w"], { SHOAL_DRAIN_TIMEOUT: "abc" });
  ok(env.includes("SHOAL_DRAIN_TIMEOUT (--drain-timeout)"), env);
  ok(usage(["task", "--", "w"]).includes("missing required flag --join"));
  ok(usage(["task", "--join", "h"]).includes("missing worker command"));
  ok(usage(["agent", "--profile", "moon"]).includes("--profile"));
  ok(usage(["agent", "--encrypt", "c2hvcnQ="]).includes("must be 16, 24 or 32"));
  ok(usage(["agent", "--node", "bad name"]).includes("--node"));
  ok(usage(["agent", "--bind", "1.2.3.4:99999"]).includes("--bind"));
  ok(usage(["agent", "--tag", "novalue"]).includes("--tag"));
  ok(usage(["sidecar", "--haproxy-backend", "web;del"]).includes("--haproxy-backend"));
  ok(usage(["task", "--join", "h", "--ready", "udp", "--", "w"]).includes("--ready"));
  ok(usage(["task", "--join", "h", "--ready", "delay:soon", "--", "w"]).includes("--ready"));
  ok(usage(["task", "--join", "h", "--weight", "0", "--", "w"]).includes("--weight"));
  ok(usage(["members", "--name", "("]).includes("bad regexp"));
  ok(usage(["frobnicate"]).includes("unknown command"));
  for (const line of [usage(["task", "--jion", "x"]), usage(["frobnicate"])]) {
    ok(line.includes("--help"), "a --help hint");
  }
});

Deno.test("parseCommandLine() starts sidecar and task only with a key or --insecure", () => {
  const none = { SHOAL_INSECURE: "" };
  const commands = [
    (...flags: string[]) => ["sidecar", ...flags],
    (...flags: string[]) => ["task", "--join", "h", ...flags, "--", "w"],
  ];
  for (const args of commands) {
    const line = usage(args(), none);
    ok(line.includes("refusing to start without gossip encryption"), line);
    ok(line.includes("--encrypt") && line.includes("--insecure"), line);
    const keyed = gossipOf(config(args("--encrypt", btoa("k".repeat(32))), none));
    ok(keyed.encryptKey !== null && keyed.insecure !== true);
    const flag = gossipOf(config(args("--insecure"), none));
    ok(flag.insecure === true && flag.encryptKey === null);
    equal(gossipOf(config(args(), { SHOAL_INSECURE: "true" })).insecure, true);
  }
  // a plain agent is a serf-style debugging member: no key needed, as with serf agent
  equal(gossipOf(config(["agent"], none)).encryptKey, null);
});

Deno.test("parseCommandLine() prints help on stdout with exit 0", () => {
  for (const command of ["sidecar", "task", "agent", "members", "keygen", "version"]) {
    const r = parse([command, "--help"]);
    ok(r.kind === "exit");
    equal(r.code, 0);
    ok(r.stdout.startsWith(`Usage: shoal ${command}`), r.stdout);
  }
  const task = parse(["task", "--help"]);
  ok(task.kind === "exit" && task.stdout.includes("SHOAL_DRAIN_TIMEOUT"));
  deepStrictEqual(parse(["--version"]), parse(["version"]));
  deepStrictEqual(config(["--version"]), { role: "version" });
});
