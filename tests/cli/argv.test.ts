import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { splitArgs, suggest } from "../../lib/cli/argv.ts";
import { commandFlags } from "../../lib/cli/program.ts";
import { UsageError } from "../../lib/cli/usage_error.ts";

const TASK = commandFlags("task");

Deno.test("splitArgs() reads --name value, --name=value, bare booleans, and repeats", () => {
  const s = splitArgs(
    ["--node", "a", "--node=b", "--join", "x", "--join=y", "--log-worker", "--insecure=false"],
    TASK,
    "task",
    true,
  );
  equal(s.flags.get("node"), "b", "the last value of a single flag wins");
  deepStrictEqual(s.flags.get("join"), ["x", "y"], "repeatable flags collect");
  equal(s.flags.get("log-worker"), true);
  equal(s.flags.get("insecure"), "false", "a boolean's explicit value is parsed later");
  equal(s.help, false);
  equal(s.dashDash, false);
});

Deno.test("splitArgs() stops at --: the worker's own flags are never read", () => {
  const s = splitArgs(["--join", "h", "--", "python3", "--node", "-h", "--"], TASK, "task", true);
  deepStrictEqual(s.rest, ["python3", "--node", "-h", "--"]);
  equal(s.dashDash, true);
  equal(s.help, false, "-h after -- belongs to the worker");
  equal(s.flags.get("node"), undefined);
});

Deno.test("splitArgs() keeps positional words for commands that take them (the Go shoal's --worker form)", () => {
  const s = splitArgs(["--worker", "python3", "server.py"], TASK, "task", true);
  deepStrictEqual(s.flags.get("worker"), ["python3"]);
  deepStrictEqual(s.rest, ["server.py"]);
  ok(splitArgs(["-h", "--join", "x"], TASK, "task", true).help, "-h anywhere before --");
});

Deno.test("splitArgs() names the flag or argument at fault", () => {
  const agent = commandFlags("agent");
  const message = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      ok(err instanceof UsageError);
      return err.message;
    }
    throw new Error("no usage error");
  };
  equal(
    message(() => splitArgs(["--jion", "x"], TASK, "task", true)),
    "unknown flag --jion (did you mean --join?)",
  );
  equal(message(() => splitArgs(["--zzzzzz"], TASK, "task", true)), "unknown flag --zzzzzz");
  equal(message(() => splitArgs(["-x"], TASK, "task", true)), "unknown flag -x");
  equal(message(() => splitArgs(["--bind"], agent, "agent", false)), "flag --bind needs a value");
  ok(message(() => splitArgs(["foo"], agent, "agent", false)).includes('"foo"'));
  throws(() => splitArgs(["--insecure"], agent, "agent", false), UsageError); // not an agent flag
});

Deno.test("suggest() offers the nearest name within a typo's reach", () => {
  equal(suggest("sidecr", ["sidecar", "task"]), "sidecar");
  equal(suggest("tsak", ["sidecar", "task"]), "task", "a swap of neighbours is one edit");
  equal(suggest("frobnicate", ["sidecar", "task"]), undefined);
});
