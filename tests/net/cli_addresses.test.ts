/**
 * Issue 14, through the binary: an address the CLI accepts is one the agent can use, and one it
 * cannot use is a usage error (exit 2, one line naming the flag), never `agent.start_failed`.
 */
import { equal, ok } from "node:assert/strict";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** Runs `shoal agent` with `args` until it logs `agent.running` (then stops it) or exits. */
async function agent(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "agent",
      "--bind",
      "127.0.0.1:0",
      "--rpc-addr",
      "127.0.0.1:0",
      ...args,
    ],
    env: {},
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = new Response(child.stdout).text();
  let out = "";
  let running = false;
  const dec = new TextDecoder();
  for await (const chunk of child.stderr) { // logs and usage errors go to stderr
    out += dec.decode(chunk, { stream: true });
    if (!running && out.includes('"agent.running"')) {
      running = true;
      child.kill("SIGTERM");
    }
  }
  const status = await child.status;
  out += await stdout;
  return { code: running ? null : status.code, out };
}

Deno.test("shoal agent --advertise '[::ffff:127.0.0.1]:7946' runs, advertising 127.0.0.1", async () => {
  const r = await agent(["--advertise", "[::ffff:127.0.0.1]:7946"]);
  equal(r.code, null, r.out);
  ok(!r.out.includes("start_failed"), r.out);
  ok(r.out.includes('"advertise":"127.0.0.1:7946"'), r.out);
});

Deno.test("shoal agent: a zero-padded IPv4 in --bind or --advertise exits 2 naming the flag", async () => {
  for (const [flag, value] of [["--advertise", "127.000.0.1:7946"], ["--bind", "127.0.0.01:0"]]) {
    const r = await agent([flag!, value!]);
    equal(r.code, 2, r.out);
    equal(r.out.trimEnd().split("\n").length, 1, r.out);
    ok(r.out.includes(flag!) && r.out.includes("not a valid IPv4"), r.out);
  }
});
