import assert from "node:assert/strict";
import {
  addServerCommand,
  type CommandResult,
  delServerCommand,
  enableHealthCommand,
  HaproxyConnectionError,
  HaproxyTimeoutError,
  IDLE_REOPEN_MS,
  NoSuchBackendError,
  NoSuchServerError,
  NotInMaintenanceError,
  readyAfterChecksCommand,
  RuntimeClient,
  ServerAlreadyExistsError,
  setStateCommand,
  showVersionCommand,
  unixConnector,
} from "../../lib/haproxy/mod.ts";
import { systemClock } from "../../lib/clock.ts";
import { HaproxyProcess, haproxyVersion, waitFor } from "../_support/haproxy.ts";

for (const mode of ["persistent", "per-command"] as const) {
  Deno.test(`RuntimeClient (${mode}) turns refusals into typed errors`, async () => {
    await using hap = await HaproxyProcess.start();
    const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath, mode });
    try {
      const spec = { backend: "be_app", name: "shoal-a", addr: "127.0.0.2", port: 9 };
      assert.equal(await client.execute(addServerCommand(spec)), "");
      await assert.rejects(client.execute(addServerCommand(spec)), ServerAlreadyExistsError);
      await assert.rejects(
        client.execute(addServerCommand({ ...spec, backend: "be_none" })),
        NoSuchBackendError,
      );
      await client.execute(setStateCommand("be_app", "shoal-a", "ready"));
      await assert.rejects(
        client.execute(delServerCommand("be_app", "shoal-a")),
        NotInMaintenanceError,
      );
      await client.execute(setStateCommand("be_app", "shoal-a", "maint"));
      await client.execute(delServerCommand("be_app", "shoal-a"));
      await assert.rejects(
        client.execute(delServerCommand("be_app", "shoal-a")),
        NoSuchServerError,
      );
      assert.deepEqual((await client.serversState("be_app")).map((r) => r.name), []);
      const version = await haproxyVersion();
      assert.equal((await client.version()).raw, version.text, "show version = haproxy -v");
    } finally {
      await client.close();
    }
  });

  Deno.test(`RuntimeClient (${mode}) shows every batch's results to onResults`, async () => {
    await using hap = await HaproxyProcess.start();
    const seen: (readonly CommandResult[])[] = [];
    const client = new RuntimeClient({
      clock: systemClock,
      socketPath: hap.socketPath,
      mode,
      onResults: (results) => seen.push(results),
    });
    try {
      const spec = { backend: "be_app", name: "shoal-a", addr: "127.0.0.2", port: 9 };
      await client.execute(addServerCommand(spec));
      const batch = await client.executeAll([addServerCommand(spec), showVersionCommand()]);
      await client.info();
      assert.equal(seen.length, 3, "execute, executeAll and info are one batch each");
      assert.equal(seen[1], batch, "the results the caller gets");
      assert.deepEqual(seen.map((r) => r.map((x) => x.ok)), [[true], [false, true], [true]]);
      assert.ok(!seen[1]![0]!.ok && seen[1]![0]!.error instanceof ServerAlreadyExistsError);
      await hap.stop();
      await assert.rejects(client.execute(showVersionCommand()), HaproxyConnectionError);
      assert.equal(seen.length, 4, "a batch HAProxy never answered is shown too");
    } finally {
      await client.close();
    }
  });
}

Deno.test("RuntimeClient matches a two-line command's replies without shifting later ones", async () => {
  // HAProxy 3.2 answers a `;`-joined line with one prompt (2.6 and 3.0: one per command), so a
  // client counting prompts per `;` part reads the next command's reply as the pair's second.
  await using hap = await HaproxyProcess.start();
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  try {
    const version = (await haproxyVersion()).text;
    const spec = { backend: "be_app", name: "shoal-a", addr: "127.0.0.2", port: 9 };
    const results = await client.executeAll([
      addServerCommand({ ...spec, check: { interMs: 60_000 } }),
      enableHealthCommand("be_app", "shoal-a"),
      readyAfterChecksCommand("be_app", "shoal-a"),
      showVersionCommand(),
      readyAfterChecksCommand("be_app", "shoal-nope"),
      showVersionCommand(),
    ]);
    assert.deepEqual(results.slice(0, 3).map((r) => r.ok && r.value), ["", "", ""]);
    assert.ok(results[3]!.ok && results[3]!.value.trim() === version, "its own reply");
    assert.ok(!results[4]!.ok && results[4]!.error instanceof NoSuchServerError);
    assert.ok(results[5]!.ok && results[5]!.value.trim() === version, "not shifted by the error");
    const [row] = await client.serversState("be_app");
    // srv_op_state 0: stopped (DOWN) until a check passes.
    assert.deepEqual([row?.admin, row?.opState], ["ready", 0], "ready, and DOWN until checked");
  } finally {
    await client.close();
  }
});

Deno.test("RuntimeClient pipelines thousands of commands and matches replies in order", async () => {
  await using hap = await HaproxyProcess.start();
  const client = new RuntimeClient({
    clock: systemClock,
    socketPath: hap.socketPath,
    pipelineWindow: 300,
  });
  try {
    const names = Array.from({ length: 1000 }, (_, i) => `shoal-p${i}`);
    const adds = names.map((name, i) =>
      addServerCommand({ backend: "be_app", name, addr: "127.0.0.2", port: 1000 + i })
    );
    // Every 10th add is a duplicate: its own reply must be the refusal, nobody else's.
    const mixed = adds.flatMap((cmd, i) => i % 10 === 0 ? [cmd, cmd] : [cmd]);
    const results = await client.executeAll(mixed);
    const refused = results.flatMap((r, i) => r.ok ? [] : [i]);
    assert.equal(refused.length, 100);
    for (const i of refused) {
      assert.ok(!results[i]!.ok && results[i]!.error instanceof ServerAlreadyExistsError);
      assert.equal(mixed[i], mixed[i - 1]);
    }
    const rows = await client.serversState("be_app");
    assert.equal(rows.length, 1000);
    assert.ok(rows.every((r) => r.port === 1000 + Number(r.name.slice(7))));
    const dels = names.flatMap((n) => [delServerCommand("be_app", n)]);
    assert.ok((await client.executeAll(dels)).every((r) => r.ok));
    assert.equal((await client.serversState("be_app")).length, 0);
  } finally {
    await client.close();
  }
});

Deno.test("RuntimeClient fails with HaproxyTimeoutError when HAProxy stops answering", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/silent.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const accepted: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) accepted.push(conn);
  })();
  const client = new RuntimeClient({ clock: systemClock, socketPath: path, readTimeoutMs: 150 });
  const started = performance.now();
  await assert.rejects(client.info(), HaproxyTimeoutError);
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 140 && elapsed < 2000, `${elapsed} ms`);
  await client.close();
  listener.close();
  await accepting;
  for (const c of accepted) c.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("RuntimeClient reports a missing socket as HaproxyConnectionError", async () => {
  const client = new RuntimeClient({
    clock: systemClock,
    socketPath: "/nonexistent/shoal/admin.sock",
  });
  await assert.rejects(client.info(), HaproxyConnectionError);
  const perCommand = new RuntimeClient({
    clock: systemClock,
    connector: unixConnector("/nonexistent"),
    mode: "per-command",
  });
  await assert.rejects(perCommand.info(), HaproxyConnectionError);
});

Deno.test("RuntimeClient notices HAProxy going away and reconnects to the new process", async () => {
  await using hap = await HaproxyProcess.start();
  let disconnects = 0;
  const client = new RuntimeClient({
    clock: systemClock,
    socketPath: hap.socketPath,
    onDisconnect: () => disconnects++,
  });
  try {
    const before = await client.info();
    await hap.restart();
    await waitFor("the disconnect notification", () => disconnects === 1);
    const after = await client.info();
    assert.notEqual(after.pid, before.pid);
    assert.equal(after.pid, hap.pid);
  } finally {
    await client.close();
  }
});

Deno.test("RuntimeClient replaces a connection left idle past IDLE_REOPEN_MS instead of reusing it", async () => {
  await using hap = await HaproxyProcess.start();
  let nowMs = 0;
  const clock = { ...systemClock, nowMs: () => nowMs };
  let connects = 0;
  const connect = unixConnector(hap.socketPath);
  const client = new RuntimeClient({
    connector: () => (connects++, connect()),
    clock,
  });
  try {
    await client.info();
    nowMs += IDLE_REOPEN_MS - 1;
    await client.info();
    assert.equal(connects, 1, "reused within the idle limit");
    nowMs += IDLE_REOPEN_MS + 1;
    await client.info();
    assert.equal(connects, 2, "replaced after idling longer than HAProxy may keep it");
  } finally {
    await client.close();
  }
});
