import assert from "node:assert/strict";
import {
  addServer,
  addServerCommand,
  type Connector,
  type DesiredServer,
  drainServer,
  Reconciler,
  RuntimeClient,
  ValidationError,
} from "../../lib/haproxy/mod.ts";
import { HaproxyProcess, rawCommand } from "../_support/haproxy.ts";
import { systemClock } from "../../lib/clock.ts";

/** Wraps the real socket and counts what the client sends. */
function countingConnector(path: string): { connector: Connector; bytes: () => number } {
  let bytes = 0;
  const connector: Connector = async () => {
    const conn = await Deno.connect({ transport: "unix", path });
    return {
      read: (p) => conn.read(p),
      write: (p) => {
        bytes += p.length;
        return conn.write(p);
      },
      close: () => conn.close(),
    };
  };
  return { connector, bytes: () => bytes };
}

const good: DesiredServer = {
  name: "shoal-good",
  addr: "127.0.0.2",
  port: 8080,
  weight: 1,
  state: "ready",
};

const attacks: Array<[string, Partial<DesiredServer>]> = [
  ["semicolon in name", { name: "shoal-x;set server be_app/shoal-good state maint" }],
  ["newline in name", { name: "shoal-x\nset server be_app/shoal-good state maint" }],
  ["space in name", { name: "shoal-x maint" }],
  ["tab in name", { name: "shoal-x\tmaint" }],
  ["payload marker", { name: "shoal-x<<" }],
  ["over-long name", { name: "shoal-" + "x".repeat(64) }],
  ["non-ASCII name", { name: "shoal-tâche" }],
  ["fullwidth semicolon", { name: "shoal-x；y" }],
  ["address with command", { addr: "127.0.0.2; del server be_app/shoal-good" }],
  ["address with newline", { addr: "127.0.0.2\nshow info" }],
  ["host name", { addr: "localhost" }],
  ["port out of range", { port: 70000 }],
  ["port zero", { port: 0 }],
  ["fractional weight", { weight: 1.5 }],
  ["weight too high", { weight: 257 }],
];

Deno.test("injection attempts are refused before anything reaches the socket", async () => {
  await using hap = await HaproxyProcess.start();
  const counting = countingConnector(hap.socketPath);
  const client = new RuntimeClient({ clock: systemClock, connector: counting.connector });
  const rec = new Reconciler(client, { backends: ["be_app"], periodMs: 60_000 });
  try {
    await rec.start();
    rec.setDesired("be_app", [good]);
    await rec.settled();
    await rec.stop();
    const stateBefore = await rawCommand(hap.socketPath, "show servers state be_app");
    const bytesBefore = counting.bytes();

    for (const [label, attack] of attacks) {
      const bad = { ...good, ...attack };
      assert.throws(() => rec.setDesired("be_app", [good, bad]), ValidationError, label);
      assert.throws(() => addServerCommand({ backend: "be_app", ...bad }), ValidationError, label);
      await assert.rejects(
        addServer(client, { backend: "be_app", ...bad }),
        ValidationError,
        label,
      );
    }
    assert.throws(() => rec.setDesired("be_app;show info", [good]), ValidationError);
    assert.throws(() => rec.setDesired("be_app", [{ ...good, name: "static1" }]), ValidationError);
    await assert.rejects(
      drainServer(client, { backend: "be_app", name: "shoal-good\nshow info" }),
      ValidationError,
    );
    await assert.rejects(
      addServer(client, { ...good, backend: "be_app\nset server be_app/shoal-good state maint" }),
      ValidationError,
    );

    assert.equal(counting.bytes(), bytesBefore, "the send path was never reached");
    assert.deepEqual(rec.desired("be_app"), [good], "the desired set is unchanged");
    const stateAfter = await rawCommand(hap.socketPath, "show servers state be_app");
    assert.deepEqual(serverSummary(stateAfter), serverSummary(stateBefore));
    assert.deepEqual(serverSummary(stateAfter), ["shoal-good 127.0.0.2 0 1"]);
  } finally {
    await rec.stop();
    await client.close();
  }
});

Deno.test("a desired set with duplicate names or too many servers is refused whole", () => {
  const client = new RuntimeClient({ clock: systemClock, socketPath: "/nonexistent.sock" });
  const rec = new Reconciler(client, { backends: ["be_app"] });
  assert.throws(() => rec.setDesired("be_app", [good, good]), ValidationError);
  const many = Array.from({ length: 10_001 }, (_, i) => ({ ...good, name: `shoal-${i}` }));
  assert.throws(() => rec.setDesired("be_app", many), ValidationError);
  assert.throws(() => rec.setDesired("be_other", [good]), ValidationError);
  assert.deepEqual(rec.desired("be_app"), []);
  assert.equal(client.commandsSent, 0);
});

/** name, address, admin state and weight of each server line (skips volatile columns). */
function serverSummary(text: string): string[] {
  return text.split("\n").slice(2).filter((l) => l !== "").map((l) => {
    const w = l.split(" ");
    return `${w[3]} ${w[4]} ${w[6]} ${w[7]}`;
  });
}
