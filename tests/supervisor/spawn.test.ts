import { deepStrictEqual as assertEq, ok, throws } from "node:assert/strict";
import { SpawnError } from "../../lib/supervisor/errors.ts";
import { openListenSocket } from "../../lib/supervisor/listen_fd.ts";
import { Spawner } from "../../lib/supervisor/spawn.ts";
import {
  httpGet,
  requirePython,
  settledFds,
  signalIgnored,
  waitFor,
  workerPath,
} from "../_support/supervisor.ts";
import { systemClock } from "../../lib/clock.ts";

const SIGPIPE = 13;
/** The test process's environment, as a composition root would pass it. */
const env = Deno.env.toObject();

/** A non-CLOEXEC duplicate of `fd` at ≥ 50, to prove the spawner closes fds it was not asked to pass. */
function leakyDup(fd: number): { fd: number; close(): void } {
  const lib = Deno.dlopen("libc.so.6", {
    fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
    close: { parameters: ["i32"], result: "i32" },
  });
  const dup = lib.symbols.fcntl(fd, 0, /* F_DUPFD, no CLOEXEC */ 50);
  return {
    fd: dup,
    close() {
      lib.symbols.close(dup);
      lib.close();
    },
  };
}

Deno.test("Spawner.spawn() hands extraFd over as fd 3 and leaks no other fd", async () => {
  requirePython();
  const sock = openListenSocket("127.0.0.1:0");
  const leak = leakyDup(sock.fd);
  const spawner = new Spawner({ clock: systemClock, reapAll: false });
  const child = spawner.spawn({
    argv: ["python3", workerPath("http_worker.py")],
    env,
    extraFd: sock.fd,
  });
  try {
    ok(sock.fd >= 10, `parent fd ${sock.fd} is out of the child's range`);
    const info = JSON.parse(
      (await waitFor(
        "worker serving",
        () => httpGet("127.0.0.1", sock.address.port, "/info").catch(() => undefined),
      )).body,
    );
    assertEq(info.pid, child.pid);
    assertEq(await settledFds(child.pid, [0, 1, 2, 3]), [0, 1, 2, 3]);
    const parentInode = Deno.readLinkSync(`/proc/self/fd/${sock.fd}`);
    assertEq(Deno.readLinkSync(`/proc/${child.pid}/fd/3`), parentInode);
  } finally {
    child.kill("SIGKILL");
    assertEq((await child.status).code, 137);
    leak.close();
    sock.close();
    spawner.close();
  }
});

Deno.test("Spawner.spawn() resets SIGPIPE, which Deno ignores, to default in the child", async () => {
  const spawner = new Spawner({ clock: systemClock, reapAll: false });
  const child = spawner.spawn({ argv: ["sleep", "30"], env });
  try {
    ok(signalIgnored(Deno.pid, SIGPIPE), "precondition: the Deno parent ignores SIGPIPE");
    await waitFor(
      "child exec'd sleep",
      () => Deno.readTextFileSync(`/proc/${child.pid}/comm`).trim() === "sleep",
    );
    assertEq(signalIgnored(child.pid, SIGPIPE), false);
    child.kill("SIGTERM");
    assertEq((await child.status).signal, 15);
    // A writer into a closed pipe dies of SIGPIPE (141) instead of getting EPIPE.
    const yes = spawner.spawn({ argv: ["sh", "-c", "yes | head -c1 >/dev/null; exit 0"], env });
    assertEq((await yes.status).code, 0);
    const pipe = spawner.spawn({
      argv: ["bash", "-c", "yes | head -c1 >/dev/null; exit ${PIPESTATUS[0]}"],
      env,
    });
    assertEq((await pipe.status).code, 141);
  } finally {
    child.kill("SIGKILL");
    spawner.close();
  }
});

Deno.test("Spawner.spawn() reports exit codes, 128+N for signals, and refuses a missing program", async () => {
  const spawner = new Spawner({ clock: systemClock, reapAll: false });
  try {
    assertEq((await spawner.spawn({ argv: ["sh", "-c", "exit 7"], env }).status).code, 7);
    const killed = await spawner.spawn({ argv: ["sh", "-c", "kill -ABRT $$"], env }).status;
    assertEq([killed.code, killed.signal], [134, 6]);
    throws(() => spawner.spawn({ argv: ["shoal-no-such-program"], env }), SpawnError);
    const gone = spawner.spawn({ argv: ["true"], env });
    await gone.status;
    assertEq(gone.kill("SIGTERM"), false);
  } finally {
    spawner.close();
  }
});

Deno.test("Spawner.spawn() pipes stdout/stderr on request and honours cwd and env", async () => {
  const spawner = new Spawner({ clock: systemClock, reapAll: false });
  try {
    const child = spawner.spawn({
      argv: ["sh", "-c", 'pwd; echo "$GREETING" >&2'],
      cwd: "/tmp",
      env: { GREETING: "hi", PATH: "/usr/bin:/bin" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [out, err] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]);
    assertEq([out, err, (await child.status).code], ["/tmp\n", "hi\n", 0]);
  } finally {
    spawner.close();
  }
});

Deno.test("Reaper in per-pid mode leaves Deno.Command statuses alone", async () => {
  const spawner = new Spawner({ clock: systemClock, reapAll: false });
  try {
    const ours = spawner.spawn({ argv: ["sh", "-c", "exit 3"], env });
    const theirs = await new Deno.Command("sh", { args: ["-c", "exit 4"] }).output();
    assertEq([(await ours.status).code, theirs.code], [3, 4]);
  } finally {
    spawner.close();
  }
});

Deno.test("Reaper refuses a second reap-all instance in one process", () => {
  const a = new Spawner({ clock: systemClock, reapAll: true });
  try {
    throws(() => new Spawner({ clock: systemClock, reapAll: true }), Error);
  } finally {
    a.close();
  }
  const b = new Spawner({ clock: systemClock, reapAll: true });
  b.close();
});
