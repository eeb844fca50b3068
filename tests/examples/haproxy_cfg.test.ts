import assert from "node:assert/strict";
import {
  freePort,
  haproxyBinary,
  rawCommand,
  requireHaproxy,
  startUpstream,
  waitFor,
} from "../_support/haproxy.ts";
import { EXAMPLES_DIR } from "../_support/example_files.ts";

const CFG = `${EXAMPLES_DIR}haproxy/haproxy.cfg`;

Deno.test("examples/haproxy/haproxy.cfg passes `haproxy -c` as shipped", async () => {
  await requireHaproxy();
  // The image creates the server-state file (format line only) before HAProxy's first start.
  const dir = await Deno.makeTempDir({ prefix: "shoal-example-cfg-" });
  await Deno.writeTextFile(`${dir}/server-state`, "1\n");
  const cfg = `${dir}/haproxy.cfg`;
  const shipped = await Deno.readTextFile(CFG);
  await Deno.writeTextFile(
    cfg,
    replaceOnce(shipped, "/var/run/haproxy/server-state", `${dir}/server-state`),
  );
  // `-V`: HAProxy 3.x prints nothing on success without it (2.6 always says it is valid).
  const out = await new Deno.Command(haproxyBinary(), { args: ["-c", "-V", "-f", cfg] }).output();
  await Deno.remove(dir, { recursive: true });
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  assert.match(text, /Configuration file is valid/);
  assert.doesNotMatch(text, /WARNING|ALERT/);
});

/** Replaces exactly one occurrence of `from`, so the rest of the file runs as shipped. */
function replaceOnce(text: string, from: string, to: string): string {
  assert.equal(text.split(from).length, 2, `expected exactly one ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

Deno.test("examples/haproxy/haproxy.cfg backend `shoal` accepts dynamic servers and routes to them", async () => {
  await requireHaproxy();
  const dir = await Deno.makeTempDir({ prefix: "shoal-example-haproxy-" });
  const upstream = startUpstream("task-1");
  const port = freePort();
  const socket = `${dir}/admin.sock`;
  let text = await Deno.readTextFile(CFG);
  // Only what cannot run unprivileged in a test changes: the socket path and the port-80 bind.
  text = replaceOnce(text, "/var/run/haproxy/admin.sock", socket);
  text = replaceOnce(text, "bind :80", `bind 127.0.0.1:${port}`);
  await Deno.writeTextFile(`${dir}/haproxy.cfg`, text);
  const child = new Deno.Command(haproxyBinary(), {
    args: ["-W", "-db", "-f", `${dir}/haproxy.cfg`],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await waitFor(
      "haproxy to answer `show info`",
      async () => (await rawCommand(socket, "show info")).includes("Pid:"),
      { timeoutMs: 10_000 },
    );
    const server = `shoal/shoal-task-1`;
    const add = await rawCommand(
      socket,
      `add server ${server} 127.0.0.1:${upstream.port} check inter 200ms rise 1 fall 1`,
    );
    assert.match(add, /New server registered/);
    assert.equal((await rawCommand(socket, `enable health ${server}`)).trim(), "");
    assert.equal((await rawCommand(socket, `set server ${server} state ready`)).trim(), "");
    const body = await waitFor("a request through the frontend to reach the task", async () => {
      const res = await fetch(`http://127.0.0.1:${port}/hello`);
      const text = await res.text();
      return res.status === 200 ? text : undefined;
    });
    assert.equal(body, "task-1");
    // The configured `option httpchk GET /healthz` is what checks dynamic servers.
    await waitFor("the health check to hit /healthz", () => upstream.requests.includes("/healthz"));
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await upstream.close();
    await Deno.remove(dir, { recursive: true });
  }
});
