import { deepStrictEqual as assertEq, throws } from "node:assert/strict";
import { SpawnError } from "../../lib/supervisor/errors.ts";
import {
  expandPlaceholders,
  findSetpriv,
  parentDeathArgv,
  resolveProgram,
  socketActivationArgv,
  workerEnvironment,
} from "../../lib/supervisor/worker_command.ts";

const info = { port: 4711, addr: "[::1]:4711" };

Deno.test("expandPlaceholders() substitutes {port}, {addr} and {fd} (always 3)", () => {
  assertEq(
    expandPlaceholders(["srv", "--listen={addr}", "-p{port}", "fd://{fd}", "{other}"], info),
    [
      "srv",
      "--listen=[::1]:4711",
      "-p4711",
      "fd://3",
      "{other}",
    ],
  );
});

Deno.test("workerEnvironment() sets shoal and socket-activation variables, drops stale ones", () => {
  const env = workerEnvironment({ PATH: "/bin", LISTEN_PID: "1", NOTIFY_SOCKET: "/x" }, info, {
    socketActivation: true,
    fdName: "web",
  });
  assertEq(env, {
    PATH: "/bin",
    SHOAL_PORT: "4711",
    SHOAL_ADDR: "[::1]:4711",
    SHOAL_LISTENER_FD: "3",
    LISTEN_FDS: "1",
    LISTEN_FDNAMES: "web",
  });
  const plain = workerEnvironment({}, info, {
    socketActivation: false,
    fdName: "x",
    notifySocket: "/n",
  });
  assertEq([plain.LISTEN_FDS, plain.NOTIFY_SOCKET], [undefined, "/n"]);
});

Deno.test("socketActivationArgv() execs the program from a shell that exports its own pid", () => {
  assertEq(socketActivationArgv(["/usr/bin/env", "a b"]), [
    "/bin/sh",
    "-c",
    'LISTEN_PID=$$ exec "$@"',
    "shoal-worker",
    "/usr/bin/env",
    "a b",
  ]);
});

Deno.test("resolveProgram() searches PATH in order and reports a missing program", () => {
  const exists = (p: string) => p === "/b/tool" || p === "/c/tool";
  assertEq(resolveProgram("tool", "/a:/b:/c", exists), "/b/tool");
  assertEq(resolveProgram("./tool", "/a", exists), "./tool");
  throws(() => resolveProgram("nope", "/a:/b", exists), SpawnError);
});

Deno.test("parentDeathArgv() runs the worker under setpriv --pdeathsig; findSetpriv() looks on PATH", () => {
  assertEq(parentDeathArgv(["/bin/app", "-x"], "/usr/bin/setpriv"), [
    "/usr/bin/setpriv",
    "--pdeathsig",
    "SIGKILL",
    "--",
    "/bin/app",
    "-x",
  ]);
  assertEq(findSetpriv("/opt/bin", (p) => p === "/opt/bin/setpriv"), "/opt/bin/setpriv");
  assertEq(findSetpriv("/opt/bin", (p) => p === "/usr/bin/setpriv"), "/usr/bin/setpriv");
  assertEq(findSetpriv("/opt/bin", () => false), null);
});
