import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { parseCommandLine, type ParseResult } from "../../lib/cli/program.ts";
import { COMMANDS } from "../../lib/cli/commands.ts";
import type { Config } from "../../lib/config.ts";

/** Parses with `SHOAL_INSECURE=1`: these tests are about other flags than `--encrypt`. */
function parse(args: string[], env: Record<string, string> = {}): ParseResult {
  const all: Record<string, string> = { SHOAL_INSECURE: "1", ...env };
  return parseCommandLine(args, { env: (name) => all[name], hostname: () => "host-1" });
}

function config(args: string[], env: Record<string, string> = {}): Config {
  const r = parse(args, env);
  if (r.kind !== "run") throw new Error(`expected a config, got exit ${r.code}: ${r.stderr}`);
  return r.config;
}

function usage(args: string[], env: Record<string, string> = {}): string {
  const r = parse(args, env);
  if (r.kind !== "exit") throw new Error(`expected a usage error, got ${JSON.stringify(r)}`);
  equal(r.code, 2, r.stderr);
  equal(r.stderr.trimEnd().split("\n").length, 1, `one line: ${r.stderr}`);
  return r.stderr;
}

Deno.test("shoal help [command] prints the same text as --help, on stdout, exit 0", () => {
  const root = parse(["help"]);
  ok(root.kind === "exit" && root.code === 0 && root.stderr === "");
  ok(root.stdout.startsWith("Usage: shoal"), root.stdout);
  for (const name of Object.keys(COMMANDS)) ok(root.stdout.includes(name), `lists ${name}`);
  for (const name of ["sidecar", "task", "agent", "members", "keygen", "version"]) {
    const viaHelp = parse(["help", name]);
    const viaFlag = parse([name, "--help"]);
    deepStrictEqual(viaHelp, viaFlag, name);
    ok(viaHelp.kind === "exit" && viaHelp.code === 0 && viaHelp.stdout.includes(`shoal ${name}`));
  }
  ok(usage(["help", "frobnicate"]).includes('unknown help topic "frobnicate"'));
});

Deno.test("shoal members reads SHOAL_RPC_ADDR and SHOAL_RPC_AUTH but none of a task's variables", () => {
  const taskEnv = {
    SHOAL_TAG: "role=task",
    SHOAL_NAME: "x",
    SHOAL_STATUS: "(",
    SHOAL_FORMAT: "json",
  };
  const m = config(["members"], { ...taskEnv, SHOAL_RPC_ADDR: "127.0.0.2:7000" });
  ok(m.role === "members");
  equal(m.tags.size, 0, "SHOAL_TAG is the task's own tag, not a filter");
  equal(m.status, null);
  equal(m.name, null);
  equal(m.format, "table");
  deepStrictEqual(m.rpcAddr, { host: "127.0.0.2", port: 7000 });
  const withAuth = config(["members"], { SHOAL_RPC_AUTH: "k" });
  ok(withAuth.role === "members" && withAuth.rpcAuth === "k");
  const help = parse(["members", "--help"]);
  ok(help.kind === "exit" && help.stdout.includes("SHOAL_RPC_ADDR"));
  ok(help.kind === "exit" && !help.stdout.includes("SHOAL_TAG"), "help promises no variable");
});

Deno.test("--bind :7946 (and other listen addresses) means every interface, as in serf", () => {
  const c = config(["agent", "--bind", ":7946", "--metrics-addr", ":9100", "--rpc-addr", ":7373"]);
  ok(c.role === "agent");
  deepStrictEqual(c.gossip.bind, { host: "0.0.0.0", port: 7946 });
  deepStrictEqual(c.gossip.metricsAddr, { host: "0.0.0.0", port: 9100 });
  deepStrictEqual(c.gossip.rpcAddr, { host: "0.0.0.0", port: 7373 });
  const t = config(["task", "--join", "h", "--listen-addr", ":8080", "--", "w"]);
  ok(t.role === "task");
  deepStrictEqual(t.listenAddr, { host: "0.0.0.0", port: 8080 });
  ok(usage(["agent", "--join", ":7946"]).includes("--join"), "a join target still needs a host");
  ok(usage(["agent", "--bind", ":"]).includes("--bind"));
});

Deno.test("every error about a value from the environment names it as SHOAL_X (--x)", () => {
  const task = ["task", "--join", "h", "--", "w"];
  const cases: [string[], string, string][] = [
    [["agent"], "SHOAL_BIND", "nowhere:x"],
    [["agent"], "SHOAL_ENCRYPT", "c2hvcnQ="],
    [["agent"], "SHOAL_ENCRYPT", "***"],
    [["agent"], "SHOAL_NODE", "bad name"],
    [["agent"], "SHOAL_JOIN", "a:b:c:"],
    [["agent"], "SHOAL_TAG", "novalue"],
    [["sidecar"], "SHOAL_HAPROXY_BACKEND", "web;del"],
    [["sidecar"], "SHOAL_BACKENDS", "ok,bad;one"],
    [["sidecar"], "SHOAL_SERVER_PREFIX", "much-too-long-for-a-prefix"],
    [["sidecar"], "SHOAL_HAPROXY_SOCKET", ""],
    [task, "SHOAL_READY", "udp"],
    [task, "SHOAL_HEALTH", "tcp"],
    [task, "SHOAL_BACKEND", "a b"],
    [task, "SHOAL_WEIGHT", "0"],
  ];
  for (const [args, variable, value] of cases) {
    const flag = "--" + variable.slice("SHOAL_".length).toLowerCase().replaceAll("_", "-");
    const line = usage(args, { [variable]: value });
    ok(line.includes(`${variable} (${flag})`), `${variable}=${value}: ${line}`);
    const fromFlag = usage([...args.slice(0, 1), flag, value, ...args.slice(1)]);
    ok(fromFlag.includes(flag) && !fromFlag.includes(variable), `${flag} ${value}: ${fromFlag}`);
  }
});
