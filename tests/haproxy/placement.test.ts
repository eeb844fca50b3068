/**
 * Placement against a real HAProxy (issue 18): deterministic server ids and their collision
 * probing, `backup`, and per-backend server options (formatting, strict validation, and the
 * start-up probe that reports HAProxy's refusal in its own words).
 */

import assert from "node:assert/strict";
import { systemClock } from "../../lib/clock.ts";
import {
  addServerCommand,
  BackendCheckError,
  executePlan,
  nextServerId,
  parseServerOptions,
  parseServerOptionsFlag,
  type PlanStep,
  Reconciler,
  RuntimeClient,
  SERVER_ID_MAX,
  SERVER_ID_MIN,
  serverIdFor,
  serverNameFor,
  ValidationError,
} from "../../lib/haproxy/mod.ts";
import { probeCommands } from "../../lib/haproxy/commands.ts";
import { HaproxyProcess } from "../_support/haproxy.ts";

const SPEC = { backend: "be", name: "shoal-a", addr: "10.0.0.1", port: 80 };

Deno.test("addServerCommand() appends id, backup and the validated options", () => {
  const cmd = addServerCommand({
    ...SPEC,
    id: 5000,
    backup: true,
    check: { interMs: 500 },
    options: ["send-proxy-v2", "alpn", "h2,http/1.1", "maxconn", "10"],
  });
  assert.deepEqual(cmd.lines, [
    "add server be/shoal-a 10.0.0.1:80 weight 1 id 5000 backup check inter 500ms send-proxy-v2 alpn h2,http/1.1 maxconn 10",
  ]);
  assert.throws(() => addServerCommand({ ...SPEC, id: 0 }), ValidationError);
});

Deno.test("server options refuse separators, odd characters and shoal's own keywords", () => {
  const bad = [
    "maxconn 10; del server be/victim",
    "maxconn 10\nshutdown sessions server be/x",
    "ssl verify none # comment",
    "ca-file '/etc/x'",
    "crt \\x",
    "weight 5",
    "check",
    "backup",
    "id 7",
    "",
    "x".repeat(600),
  ];
  for (const text of bad) assert.throws(() => parseServerOptions(text), ValidationError, text);
  assert.deepEqual(parseServerOptions(" ssl  verify none "), ["ssl", "verify", "none"]);
  assert.deepEqual(parseServerOptionsFlag("api=send-proxy-v2"), {
    backend: "api",
    words: ["send-proxy-v2"],
  });
  for (const flag of ["send-proxy-v2", "=send-proxy-v2", "a b=x", "api="]) {
    assert.throws(() => parseServerOptionsFlag(flag), ValidationError, flag);
  }
});

Deno.test("serverIdFor() is the name's, inside the id range, and probing wraps", () => {
  const ids = new Set(Array.from({ length: 200 }, (_, i) => serverIdFor(`shoal-task-${i}`)));
  assert.ok(ids.size >= 199, "names spread over the id range");
  for (const id of ids) assert.ok(id >= SERVER_ID_MIN && id <= SERVER_ID_MAX, String(id));
  assert.equal(serverIdFor("shoal-x"), serverIdFor("shoal-x"));
  assert.equal(nextServerId(SERVER_ID_MAX), SERVER_ID_MIN);
  assert.equal(nextServerId(SERVER_ID_MIN), SERVER_ID_MIN + 1);
});

Deno.test("serverNameFor(): nodes named like slots or backup slots never get a slot's name", () => {
  for (const node of ["slot3", "bslot3"]) {
    assert.notEqual(serverNameFor(node), `shoal-${node}`);
    assert.ok(serverNameFor(node).startsWith(`shoal-${node}-`));
  }
  assert.equal(serverNameFor("bslot-x"), "shoal-bslot-x");
});

Deno.test("executePlan() moves an add whose id is taken to the next id", async () => {
  const name = "shoal-t1";
  const taken = serverIdFor(name);
  // A configuration server holds the task's id, and another holds the next one.
  await using hap = await HaproxyProcess.start({
    backends: [{
      name: "be_app",
      lines: [
        `server static-1 127.0.0.1:1 id ${taken} disabled`,
        `server static-2 127.0.0.1:1 id ${nextServerId(taken)} disabled`,
      ],
    }],
  });
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  try {
    const step: PlanStep = {
      kind: "add",
      backend: "be_app",
      server: {
        name,
        addr: "127.0.0.2",
        port: 8080,
        weight: 1,
        state: "ready",
        id: taken,
        backup: true,
      },
    };
    const [outcome] = await executePlan(client, [step], { clock: systemClock });
    assert.equal(outcome?.error, undefined, String(outcome?.error));
    const row = (await client.serversState("be_app")).find((r) => r.name === name);
    assert.equal(row?.serverId, nextServerId(nextServerId(taken)), "third candidate");
    const stat = (await client.stat("be_app")).find((r) => r.service === name);
    assert.equal(stat?.fields.get("bck"), "1", "added as a backup server");
  } finally {
    await client.close();
  }
});

Deno.test("Reconciler.start() reports server options HAProxy refuses, in HAProxy's words", async () => {
  await using hap = await HaproxyProcess.start();
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  try {
    for (
      const [words, reply] of [
        [["no-such-keyword"], /unknown keyword 'no-such-keyword'/],
        [["ssl", "ca-file", "/nonexistent/ca.pem"], /unable to load \/nonexistent\/ca\.pem/],
      ] as const
    ) {
      const rec = new Reconciler(client, {
        backends: ["be_app"],
        serverOptions: new Map([["be_app", words]]),
      });
      const err = await rec.start().then(() => undefined, (e) => e);
      assert.ok(err instanceof BackendCheckError, String(err));
      assert.equal(err.reason, "options");
      assert.match(err.message, reply);
      await rec.stop();
    }
    // Accepted options pass, and the probe leaves nothing behind.
    const ok = new Reconciler(client, {
      backends: ["be_app"],
      serverOptions: new Map([["be_app", ["send-proxy-v2", "maxconn", "10"]]]),
    });
    await ok.start();
    await ok.stop();
    assert.deepEqual((await client.serversState("be_app")).map((r) => r.name), []);
  } finally {
    await client.close();
  }
});

Deno.test("Reconciler.start() removes a crashed run's leftover probe before probing the options", async () => {
  await using hap = await HaproxyProcess.start();
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  try {
    const [left] = await client.executeAll([probeCommands("be_app", "shoal-").add]);
    assert.ok(left?.ok, "a leftover probe (without options) is there");
    const rec = new Reconciler(client, {
      backends: ["be_app"],
      serverOptions: new Map([["be_app", ["send-proxy-v2"]]]),
    });
    await rec.start();
    await rec.stop();
    assert.deepEqual((await client.serversState("be_app")).map((r) => r.name), []);
  } finally {
    await client.close();
  }
});
