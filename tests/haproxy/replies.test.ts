import assert from "node:assert/strict";
import {
  addServerCommand,
  delServerCommand,
  HaproxyCommandError,
  NoSuchBackendError,
  NoSuchServerError,
  NotDynamicBackendError,
  NotInMaintenanceError,
  PromptFramer,
  ServerAlreadyExistsError,
  setStateCommand,
  showVersionCommand,
  StillHasConnectionsError,
  UnknownCommandError,
} from "../../lib/haproxy/mod.ts";

const fixtures = new URL("../fixtures/haproxy/", import.meta.url);
const stream = await Deno.readTextFile(new URL("prompt_session.txt", fixtures));
/** A real `del server` reply while a request was in flight (captured by capture.ts). */
const stillHasConnections = await Deno.readTextFile(
  new URL("del_still_has_connections.txt", fixtures),
);
const script: string[] = JSON.parse(
  await Deno.readTextFile(new URL("prompt_session.commands.json", fixtures)),
);

/** The captured session's replies (the last line with a prefix wins in `replyTo`), one array of bodies per scripted line. */
function capturedReplies(): Array<[string, string[]]> {
  const bodies = new PromptFramer().push(new TextEncoder().encode(stream));
  const byLine: Array<[string, string[]]> = [];
  let at = 0;
  for (const line of script) {
    const parts = line.split(";").length;
    byLine.push([line, bodies.slice(at, at + parts)]);
    at += parts;
  }
  assert.equal(at, bodies.length, "one reply per command part");
  return byLine;
}

function replyTo(prefix: string): string {
  const entry = capturedReplies().findLast(([line]) => line.startsWith(prefix));
  assert.ok(entry, prefix);
  return entry[1][0]!;
}

Deno.test("PromptFramer splits the captured session into one reply per command part", () => {
  const expected = script.reduce((n, line) => n + line.split(";").length, 0);
  const bytes = new TextEncoder().encode(stream);
  const whole = new PromptFramer().push(bytes);
  assert.equal(whole.length, expected);
  const framer = new PromptFramer();
  const oneByOne = [...bytes].flatMap((b) => framer.push(new Uint8Array([b])));
  assert.deepEqual(oneByOne, whole);
  assert.equal(framer.pending, "");
});

Deno.test("PromptFramer keeps multi-byte characters split across chunks intact", () => {
  const bytes = new TextEncoder().encode("é-ok\n> ");
  const framer = new PromptFramer();
  assert.deepEqual(framer.push(bytes.subarray(0, 1)), []);
  assert.deepEqual(framer.push(bytes.subarray(1)), ["é-ok"]);
});

Deno.test("PromptFramer refuses a reply larger than its bound", () => {
  const framer = new PromptFramer(16);
  assert.throws(() => framer.push(new TextEncoder().encode("x".repeat(32))), /larger than 16/);
});

Deno.test("PromptFramer counts its bound in bytes, not UTF-16 units", () => {
  // 10 characters, 20 bytes: over a 16-byte bound although the string is 10 units long.
  assert.throws(() => new PromptFramer(16).push(new TextEncoder().encode("é".repeat(10))), /16/);
  const framer = new PromptFramer(16);
  assert.deepEqual(framer.push(new TextEncoder().encode("é".repeat(8) + "\n> ")), ["é".repeat(8)]);
  assert.equal(framer.pending, "");
});

Deno.test("HaproxyCommandError.parse() classifies HAProxy 2.6 replies", () => {
  const cases: Array<[string, new (...a: never[]) => HaproxyCommandError]> = [
    ["add server be_app/shoal-ready 127.0.0.2", ServerAlreadyExistsError],
    ["add server be_static/", NotDynamicBackendError],
    ["add server be_nope/", NoSuchBackendError],
    ["set server be_app/shoal-nope", NoSuchServerError],
    ["del server be_app/shoal-ready", NotInMaintenanceError],
    ["shutdown sessions server be_app/shoal-nope", NoSuchServerError],
    ["show servers state be_nope", NoSuchBackendError],
    ["show stat be_nope", NoSuchBackendError],
    ["frobnicate", UnknownCommandError],
  ];
  for (const [prefix, Ctor] of cases) {
    const error = HaproxyCommandError.parse(prefix, replyTo(prefix));
    assert.ok(error instanceof Ctor, `${prefix}: ${error.name}`);
    assert.equal(error.name, Ctor.name);
    assert.doesNotMatch(error.reply, /^\[/);
  }
  const other = HaproxyCommandError.parse("x", replyTo("add server be_app/bad 127.0.0.1:70000"));
  assert.equal(other.constructor, HaproxyCommandError);
  assert.equal(other.reply, "invalid port '70000'");
  const busy = HaproxyCommandError.parse("del server be_app/shoal-busy", stillHasConnections);
  assert.ok(busy instanceof StillHasConnectionsError);
  assert.equal(busy.reply, "Server still has connections attached to it, cannot remove it.");
});

Deno.test("Command.interpret() tells success from failure by the reply, not the connection", () => {
  const add = addServerCommand({ backend: "be_app", name: "s", addr: "127.0.0.1", port: 80 });
  assert.equal(add.interpret(["[info]: New server registered.\n"]), "");
  assert.throws(
    () => add.interpret([replyTo("add server be_app/bad 127.0.0.1:1 bogus")]),
    HaproxyCommandError,
  );
  assert.throws(
    () => add.interpret([""]),
    HaproxyCommandError,
    "empty reply is not a registration",
  );
  const del = delServerCommand("be_app", "s");
  assert.equal(del.interpret(["[info]: Server deleted."]), "");
  assert.throws(() => del.interpret([stillHasConnections]), StillHasConnectionsError);
  assert.throws(() => del.interpret(["[err]: No such server.\n"]), NoSuchServerError);
  const set = setStateCommand("be_app", "s", "ready");
  assert.equal(set.interpret([""]), "");
  assert.throws(() => set.interpret(["[err]: No such server.\n"]), NoSuchServerError);
  assert.throws(() => set.interpret(["something unexpected\n"]), HaproxyCommandError);
  assert.match(showVersionCommand().interpret([replyTo("show version")]), /^2\.6\./);
  assert.throws(() => showVersionCommand().interpret([replyTo("frobnicate")]), UnknownCommandError);
});
