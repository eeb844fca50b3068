/**
 * Slot mode against a real HAProxy: `server-template shoal-slot 1-N` slots are filled with
 * `set server ... addr`, freed by maintenance, and — with the server-state file the reconciler
 * keeps — come back in a new HAProxy process (reload or restart) exactly as they were, before the
 * reconciler runs again.
 */

import assert from "node:assert/strict";
import { MemoryLogger } from "../../lib/log/logger.ts";
import {
  type DesiredServer,
  isBackupSlot,
  NoFreeSlotError,
  type ObservedServer,
  pickFreeSlot,
  Reconciler,
  RuntimeClient,
  slotCounts,
  slotStepCommands,
  viewSlots,
} from "../../lib/haproxy/mod.ts";
import { get, HaproxyProcess, startUpstream, waitFor } from "../_support/haproxy.ts";
import { systemClock } from "../../lib/clock.ts";

const SLOTS = "server-template shoal-slot 1-3 localhost:1 check inter 200ms rise 1 fall 2 " +
  "downinter 50ms init-addr last,libc,none disabled";

function server(name: string, addr: string, port: number): DesiredServer {
  return { name, addr, port, weight: 10, state: "ready", check: { interMs: 200 } };
}

async function slotHaproxy(stateFile: boolean): Promise<HaproxyProcess> {
  return await HaproxyProcess.start({
    backends: [{ name: "be_app", lines: ["option httpchk GET /health", SLOTS] }],
    globalLines: stateFile ? ["server-state-file {dir}/state"] : [],
    defaultsLines: stateFile ? ["load-server-state-from-file global"] : [],
  });
}

async function upCount(client: RuntimeClient): Promise<number> {
  const rows = await client.stat("be_app");
  return rows.filter((r) => r.kind === "server" && r.status.startsWith("UP")).length;
}

async function slotRows(client: RuntimeClient) {
  return (await client.serversState("be_app")).map((r) =>
    `${r.name} ${r.addr}:${r.port} ${r.admin} ${r.uweight}`
  );
}

Deno.test("slots: filled, freed and reused; a new process restores them from the state file", async () => {
  await using hap = await slotHaproxy(true);
  const a = startUpstream("a", "127.0.0.2");
  const b = startUpstream("b", "127.0.0.3");
  const log = new MemoryLogger();
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath, logger: log });
  const stateFile = `${hap.dir}/state`;
  const rec = new Reconciler(client, { backends: ["be_app"], logger: log, stateFile });
  try {
    await rec.start();
    assert.deepEqual(rec.foundAtStart("be_app"), [], "free slots are not servers");
    rec.setDesired("be_app", [
      server("shoal-a", "127.0.0.2", a.port),
      server("shoal-b", "127.0.0.3", b.port),
    ]);
    await rec.settled();
    assert.deepEqual(await slotRows(client), [
      `shoal-slot1 127.0.0.2:${a.port} ready 10`,
      `shoal-slot2 127.0.0.3:${b.port} ready 10`,
      "shoal-slot3 127.0.0.1:1 maint 1",
    ]);
    const added = log.named("haproxy.server.add").map((r) => `${r.fields.server}@${r.fields.slot}`);
    assert.deepEqual(added, ["shoal-a@shoal-slot1", "shoal-b@shoal-slot2"], "logs name the slot");
    await rec.reconcileOnce(); // observes what the last pass did
    assert.deepEqual(rec.observed("be_app").map((s) => s.name), ["shoal-a", "shoal-b"]);
    await waitFor("both UP", async () => (await upCount(client)) === 2);
    const seen = new Set<string>();
    await waitFor(
      "both answer",
      async () => (seen.add((await get(hap.url())).body), seen.size === 2),
    );

    // Removal frees the slot (maintenance); the next server takes the first free one.
    rec.setDesired("be_app", [server("shoal-b", "127.0.0.3", b.port)]);
    await rec.settled();
    assert.equal((await slotRows(client))[0], `shoal-slot1 127.0.0.2:${a.port} maint 10`);
    await rec.reconcileOnce();
    assert.deepEqual(rec.observed("be_app").map((s) => s.name), ["shoal-b"]);
    rec.setDesired("be_app", [
      server("shoal-b", "127.0.0.3", b.port),
      server("shoal-a2", "127.0.0.2", a.port + 0),
    ]);
    await rec.settled();
    assert.equal((await slotRows(client))[0], `shoal-slot1 127.0.0.2:${a.port} ready 10`);
    await waitFor(
      "slot 1 UP again",
      async () => (await upCount(client)) === 2,
    );
    await rec.reconcileOnce(); // saves the state with both UP
    const before = await slotRows(client);
    await rec.stop();

    // A new process (the reconciler stopped, so nothing re-adds): the slots come back as saved.
    await hap.restart();
    const fresh = new RuntimeClient({
      clock: systemClock,
      socketPath: hap.socketPath,
      mode: "per-command",
    });
    assert.deepEqual(await slotRows(fresh), before);
    assert.equal(await upCount(fresh), 2, "restored UP, with no check needed first");
    assert.equal((await get(hap.url())).status, 200);
    await fresh.close();
  } finally {
    await rec.stop();
    await client.close();
    await a.close();
    await b.close();
  }
});

Deno.test("slots: without a state file a new process starts with every slot free", async () => {
  await using hap = await slotHaproxy(false);
  const a = startUpstream("a", "127.0.0.2");
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  const rec = new Reconciler(client, { backends: ["be_app"] });
  try {
    await rec.start();
    rec.setDesired("be_app", [server("shoal-a", "127.0.0.2", a.port)]);
    await rec.settled();
    await rec.stop();
    await hap.restart();
    const fresh = new RuntimeClient({
      clock: systemClock,
      socketPath: hap.socketPath,
      mode: "per-command",
    });
    assert.deepEqual((await fresh.serversState("be_app")).map((r) => r.admin), [
      "maint",
      "maint",
      "maint",
    ]);
    await fresh.close();
  } finally {
    await rec.stop();
    await client.close();
    await a.close();
  }
});

function row(name: string, addr: string, port: number, admin: ObservedServer["admin"]) {
  return { name, addr, port, admin, uweight: 1, checkConfigured: true, checkEnabled: true };
}

Deno.test("viewSlots: a slot adopted under its own name gives way to its task's entry", () => {
  const rows = [
    row("shoal-slot1", "10.0.0.1", 80, "ready"),
    row("shoal-slot2", "127.0.0.1", 1, "maint"),
    row("shoal-slot3", "10.0.0.3", 80, "ready"),
  ];
  const view = viewSlots(
    [
      server("shoal-slot1", "10.0.0.1", 80), // adopted at start-up
      server("shoal-t1", "10.0.0.1", 80), // the task answered
    ],
    rows,
    "shoal-",
  );
  assert.deepEqual(view.desired.map((d) => d.name), ["shoal-t1"]);
  assert.deepEqual(view.observed.map((s) => s.name), ["shoal-t1", "shoal-slot3"]);
  assert.deepEqual([...view.slotOf], [["shoal-t1", "shoal-slot1"], ["shoal-slot3", "shoal-slot3"]]);
  assert.deepEqual(view.free, ["shoal-slot2"]);
});

Deno.test("viewSlots: a draining server's slot in maintenance is free (the server is gone)", () => {
  const rows = [
    row("shoal-slot1", "10.0.0.1", 80, "drain"),
    row("shoal-slot2", "10.0.0.2", 80, "maint"),
  ];
  const draining = (name: string, addr: string) => ({
    ...server(name, addr, 80),
    state: "drain" as const,
  });
  const view = viewSlots(
    [draining("shoal-t1", "10.0.0.1"), draining("shoal-t2", "10.0.0.2")],
    rows,
    "shoal-",
  );
  assert.deepEqual(view.observed.map((s) => s.name), ["shoal-t1"], "t1 still drains, t2 is done");
  assert.deepEqual(view.free, ["shoal-slot2"]);
});

Deno.test("slotStepCommands: add fills a free slot, removal only frees it, a full backend fails", () => {
  const rows = [
    row("shoal-slot1", "10.0.0.1", 80, "ready"),
    row("shoal-slot2", "127.0.0.1", 1, "maint"),
  ];
  const view = viewSlots([server("shoal-t1", "10.0.0.1", 80)], rows, "shoal-");
  const free = [...view.free];
  const add = { kind: "add" as const, backend: "be", server: server("shoal-t2", "10.0.0.2", 81) };
  assert.deepEqual(slotStepCommands(add, view, free, "shoal-").flatMap((c) => c.lines), [
    "set server be/shoal-slot2 addr 10.0.0.2 port 81",
    "set server be/shoal-slot2 weight 10",
    "set server be/shoal-slot2 state ready",
    "set server be/shoal-slot2 health down",
  ]);
  assert.throws(() => slotStepCommands(add, view, free, "shoal-"), NoFreeSlotError);
  const del = {
    kind: "delete" as const,
    backend: "be",
    name: "shoal-t1",
    shutdownSessions: true,
    reason: "undesired" as const,
  };
  assert.deepEqual(slotStepCommands(del, view, free, "shoal-").flatMap((c) => c.lines), [
    "set server be/shoal-slot1 state maint",
    "shutdown sessions server be/shoal-slot1",
  ]);
});

Deno.test("slots: more servers than slots fills every slot and reports the rest", async () => {
  await using hap = await slotHaproxy(false);
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  const rec = new Reconciler(client, { backends: ["be_app"] });
  try {
    await rec.start();
    rec.setDesired(
      "be_app",
      [1, 2, 3, 4].map((i) => server(`shoal-t${i}`, `127.0.0.${10 + i}`, 80)),
    );
    const report = await rec.reconcileOnce();
    const failed = report.outcomes.filter((o) => o.error !== undefined);
    assert.equal(failed.length, 1);
    assert.ok(failed[0]!.error instanceof NoFreeSlotError, String(failed[0]!.error));
    const used = (await client.serversState("be_app")).filter((r) => r.admin === "ready");
    assert.deepEqual(used.map((r) => r.addr), ["127.0.0.11", "127.0.0.12", "127.0.0.13"]);
  } finally {
    await rec.stop();
    await client.close();
  }
});

Deno.test("pickFreeSlot: a server's slot depends on its name, not on the order slots were freed", () => {
  const names = Array.from({ length: 8 }, (_, i) => `shoal-slot${i + 1}`);
  const counts = { normal: 8, backup: 0 };
  const seen = new Set<string>();
  for (const task of ["shoal-a", "shoal-b", "shoal-c", "shoal-d", "shoal-e", "shoal-f"]) {
    const slot = pickFreeSlot(names, { name: task }, "shoal-", counts)!;
    assert.equal(pickFreeSlot([...names].reverse(), { name: task }, "shoal-", counts), slot);
    seen.add(slot);
    // Its home slot taken: the next free one after it (wrapping), the same on every sidecar.
    const rest = names.filter((n) => n !== slot);
    const next = pickFreeSlot(rest, { name: task }, "shoal-", counts)!;
    const at = (n: string) => Number(n.slice("shoal-slot".length));
    assert.equal(at(next), at(slot) % 8 + 1);
  }
  assert.ok(seen.size > 1, "names spread over the slots");
  assert.equal(pickFreeSlot([], { name: "shoal-a" }, "shoal-", counts), undefined);
});

Deno.test("slots: with a backup template, backup servers take backup slots and the others normal ones", () => {
  const rows = [
    row("shoal-slot1", "127.0.0.1", 1, "maint"),
    row("shoal-slot2", "127.0.0.1", 1, "maint"),
    row("shoal-bslot1", "127.0.0.1", 1, "maint"),
    row("shoal-bslot2", "10.0.0.9", 80, "ready"),
  ];
  assert.ok(isBackupSlot("shoal-bslot2", "shoal-") && !isBackupSlot("shoal-slot2", "shoal-"));
  assert.deepEqual(slotCounts(rows, "shoal-"), { normal: 2, backup: 2 });
  // A task that became a backup no longer owns its normal slot, and vice versa.
  const desired = [{ ...server("shoal-t9", "10.0.0.9", 80), backup: false }];
  const view = viewSlots(desired, rows, "shoal-");
  assert.equal(view.slotOf.get("shoal-t9"), undefined, "the backup slot is not t9's any more");
  const free = [...view.free];
  const add = (name: string, backup: boolean) => ({
    kind: "add" as const,
    backend: "be",
    server: { ...server(name, "10.0.0.2", 81), backup },
  });
  const slotOf = (name: string, backup: boolean) =>
    slotStepCommands(add(name, backup), view, free, "shoal-")[0]!.lines[0]!.split(" ")[2];
  assert.equal(slotOf("shoal-b1", true), "be/shoal-bslot1");
  assert.throws(() => slotOf("shoal-b2", true), NoFreeSlotError, "backup slots full");
  assert.match(slotOf("shoal-a1", false)!, /^be\/shoal-slot[12]$/);
  // Without a backup template every server takes a normal slot.
  const plain = viewSlots([], rows.slice(0, 2), "shoal-");
  assert.match(
    slotStepCommands(add("shoal-b3", true), plain, [...plain.free], "shoal-")[0]!.lines[0]!,
    /shoal-slot[12] /,
  );
});
