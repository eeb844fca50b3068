/** The sidecar's and task's placement flags: `--zone` and `--server-options` (issue 18). */

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { parseCommandLine } from "../../lib/cli/program.ts";
import type { Config } from "../../lib/config.ts";

const ENV = { SHOAL_INSECURE: "true" };

function parse(args: string[], env: Record<string, string> = {}) {
  const all: Record<string, string> = { ...ENV, ...env };
  return parseCommandLine(args, { env: (n) => all[n], hostname: () => "h" });
}

function config(args: string[], env: Record<string, string> = {}): Config {
  const r = parse(args, env);
  if (r.kind !== "run") throw new Error(`expected a config, got exit ${r.code}: ${r.stderr}`);
  return r.config;
}

function usage(args: string[]): string {
  const r = parse(args);
  if (r.kind !== "exit") throw new Error(`expected a usage error, got ${JSON.stringify(r)}`);
  equal(r.code, 2, r.stderr);
  equal(r.stderr.trimEnd().split("\n").length, 1, `one line: ${r.stderr}`);
  return r.stderr;
}

Deno.test("--server-options: repeatable per backend, spaces and commas kept; the variable splits on ;", () => {
  const args = [
    "sidecar",
    "--backends=api",
    "--server-options=shoal=send-proxy-v2 alpn h2,http/1.1",
    "--server-options",
    "api=maxconn 100",
  ];
  const c = config(args);
  ok(c.role === "sidecar");
  deepStrictEqual(
    c.serverOptions,
    new Map([["shoal", ["send-proxy-v2", "alpn", "h2,http/1.1"]], ["api", ["maxconn", "100"]]]),
  );
  const fromEnv = config(["sidecar", "--backends=api"], {
    SHOAL_SERVER_OPTIONS: "shoal=send-proxy-v2 alpn h2,http/1.1; api=maxconn 100",
  });
  ok(fromEnv.role === "sidecar");
  deepStrictEqual(fromEnv.serverOptions, c.serverOptions);
});

Deno.test("--server-options and --zone refuse bad text in one line naming the flag, exit 2", () => {
  for (
    const bad of [
      "shoal=maxconn 10 del server shoal/x\nx",
      "shoal=maxconn 10 # x",
      "shoal=weight 3",
      "shoal=check",
      "nobackend",
      "other=send-proxy-v2",
      "shoal=",
    ]
  ) {
    ok(usage(["sidecar", `--server-options=${bad}`]).includes("--server-options"), bad);
  }
  ok(
    usage(["sidecar", "--server-options=shoal=a", "--server-options=shoal=b"]).includes("twice"),
  );
  ok(usage(["sidecar", "--zone=a b"]).includes("--zone"));
  ok(usage(["task", "--join=h", "--zone=a;b", "--", "w"]).includes("--zone"));
});

Deno.test("--zone: the sidecar's and the task's, from the flag or SHOAL_ZONE", () => {
  const s = config(["sidecar", "--zone=eu-west-1a"]);
  ok(s.role === "sidecar");
  equal(s.zone, "eu-west-1a");
  const none = config(["sidecar"]);
  ok(none.role === "sidecar");
  equal(none.zone, null);
  const t = config(["task", "--join=h", "--", "w"], { SHOAL_ZONE: "b" });
  ok(t.role === "task");
  equal(t.zone, "b");
});
