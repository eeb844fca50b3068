import { equal, ok } from "node:assert/strict";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

async function shoal(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("shoal binary: a mistyped flag exits 2 with one line and no stack trace", async () => {
  const r = await shoal(["task", "--jion", "10.0.0.1", "--", "true"]);
  equal(r.code, 2);
  equal(r.stdout, "");
  equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
  ok(r.stderr.includes("--jion") && r.stderr.includes("shoal task --help"), r.stderr);
  ok(!r.stderr.includes("    at "), "no stack trace");
});

Deno.test("shoal binary: SHOAL_* errors name the variable; help and version exit 0", async () => {
  const bad = await shoal(["agent"], { SHOAL_BIND: "nowhere:x" });
  equal(bad.code, 2);
  ok(bad.stderr.includes("SHOAL_BIND (--bind)"), bad.stderr);
  const sidecarHelp = await shoal(["sidecar", "--help"]);
  equal(sidecarHelp.code, 0);
  ok(sidecarHelp.stdout.includes("--haproxy-socket"));
  const version = await shoal(["version"]);
  equal(version.code, 0);
  ok(/^shoal \d+\.\d+\.\d+/.test(version.stdout), version.stdout);
  const flag = await shoal(["--version"]);
  equal(flag.code, 0);
  equal(flag.stdout, version.stdout, "shoal --version prints what shoal version prints");
  const help = await shoal(["help", "task"]);
  equal(help.code, 0);
  ok(help.stdout.includes("--worker"), help.stdout);
  const key = await shoal(["keygen"]);
  equal(key.code, 0);
  equal(atob(key.stdout.trim()).length, 32);
});

Deno.test("shoal binary: sidecar and task refuse to start unencrypted unless --insecure", async () => {
  // the environment is cleared, so no SHOAL_ENCRYPT or SHOAL_INSECURE reaches the child
  for (const args of [["sidecar"], ["task", "--join", "127.0.0.1", "--", "true"]]) {
    const r = await shoal(args);
    equal(r.code, 2, r.stderr);
    equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
    ok(r.stderr.includes("--encrypt") && r.stderr.includes("--insecure"), r.stderr);
    ok(r.stderr.includes("add or remove HAProxy servers"), "says why");
  }
});
