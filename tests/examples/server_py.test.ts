import assert from "node:assert/strict";
import { waitFor } from "../_support/haproxy.ts";
import { EXAMPLES_DIR } from "../_support/example_files.ts";

const SERVER_PY = `${EXAMPLES_DIR}task/server.py`;

/**
 * Binds a listening socket on 127.0.0.1, moves it to fd 3, prints its port and execs server.py:
 * the same hand-off `shoal task` performs.
 */
const WRAPPER = `
import os, socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
    s.close()
else:
    os.set_inheritable(3, True)
    s.detach()
print(socket.socket(fileno=os.dup(3)).getsockname()[1], flush=True)
os.execv(sys.executable, [sys.executable, sys.argv[1]])
`;

async function requirePython(): Promise<void> {
  const ok = await new Deno.Command("python3", { args: ["-V"], stdout: "null", stderr: "null" })
    .output().then((o) => o.success, () => false);
  if (!ok) throw new Error("python3 is needed: install it with `apt-get install python3`");
}

async function readLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
  } finally {
    await reader.cancel();
  }
  return text.split("\n")[0]!;
}

Deno.test("examples/task/server.py compiles with py_compile", async () => {
  await requirePython();
  const dir = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command("python3", {
      args: [
        "-c",
        "import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)",
        SERVER_PY,
        `${dir}/server.pyc`,
      ],
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("examples/task/server.py serves HTTP on fd 3 and stops cleanly on SIGTERM", async () => {
  await requirePython();
  const child = new Deno.Command("python3", {
    args: ["-c", WRAPPER, SERVER_PY],
    env: { TASK_ID: "task-42", SHOAL_PORT: "4242", SHOAL_LISTENER_FD: "3" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  try {
    const port = Number(await readLine(child.stdout));
    assert.ok(port > 0, "the wrapper printed the port");
    const info = await waitFor("server.py to answer GET /", async () => {
      const res = await fetch(`http://127.0.0.1:${port}/where?x=1`);
      return res.status === 200 ? await res.json() : undefined;
    });
    assert.equal(info.task, "task-42");
    assert.equal(info.port, "4242");
    assert.equal(info.path, "/where?x=1");
    assert.equal(info.pid, child.pid, "the exec'd server.py itself answered");
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.deepEqual([health.status, await health.text()], [200, "ok\n"]);
  } finally {
    child.kill("SIGTERM");
  }
  const status = await child.status;
  const log = await stderr;
  assert.equal(status.code, 0, log);
  assert.match(log, /serving on 127\.0\.0\.1:\d+ \(fd 3\)/);
  assert.match(log, /signal 15/);
  assert.match(log, /stopped/);
});

Deno.test("examples/task/server.py refuses to start without a listening socket on fd 3", async () => {
  await requirePython();
  const out = await new Deno.Command("python3", { args: [SERVER_PY], stdin: "null" }).output();
  assert.notEqual(out.code, 0);
  assert.match(new TextDecoder().decode(out.stderr), /fd 3 is not a (listening TCP )?socket/);
});
